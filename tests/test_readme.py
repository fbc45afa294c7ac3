"""Every Python block of the README runs as written."""

import re

import pytest

from .conftest import REPO

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, capsys):
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
    assert capsys.readouterr().out.strip()  # every block prints its results


def test_the_cells_example_prints_what_its_comment_says(capsys):
    """The adding-problem block: the R² its comment states, to 0.01, and the
    exported state dict includes the linear path."""
    block = next(b for b in BLOCKS if "the adding problem" in b)
    claimed = dict(re.findall(r"(elman|gru|lstm) ([0-9.]+)", block.split("# R²:")[1]
                              .splitlines()[0]))
    exec(compile(block, "README cells block", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    printed = dict(line.split() for line in lines[:3])
    assert set(printed) == set(claimed) == {"elman", "gru", "lstm"}
    for cell in claimed:
        assert abs(float(printed[cell]) - float(claimed[cell])) <= 0.01, cell
    assert float(printed["gru"]) >= 0.95 and float(printed["lstm"]) >= 0.95
    assert "'skip.weight'" in lines[3]


def test_the_forecasting_table_is_the_results_file():
    """Every row of the README's forecasting table is benchmarks/results/forecast.json
    (the model column is the file's model name), to the three decimals shown."""
    import json

    results = json.loads((REPO / "benchmarks" / "results" / "forecast.json").read_text())
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Forecasting four real series"):]
    lines = [line for line in section.split("\n\n")[2].splitlines()[2:]]
    assert len(lines) >= 5
    for line in lines:
        model, *cells, geo, secs = [c.strip() for c in line.strip("|").split("|")]
        rows = {r["series"]: r for r in results["rows"] if r["model"] == model}
        assert rows, model
        for name, cell in zip(results["series"], cells, strict=True):
            expected = "—" if name not in rows else f"{rows[name]['median_ratio']:.3f}"
            assert cell == expected, (model, name)
        summary = results["summary"][model]
        assert geo == f"{summary['geometric_mean']:.3f}", model
        assert secs == f"{summary['median_fit_seconds']:.2f}", model
    # the text under it quotes the defaults' MSE over RidgeCV's, series by series
    paragraph = section.split("\n\n")[3]
    for value in results["defaults_over_ridge_cv"].values():
        assert f"{value:.3f}" in paragraph
