"""Every Python block of the README runs as written."""

import json
import re
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from .conftest import REPO

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, capsys):
    """Every block prints its results and no warning (pyproject ignores
    ConvergenceWarning: an error here), but for the ConvergenceWarning of the
    block whose comment announces it (issue 28 item 3: at the classifier's
    former defaults, max_iter=200 and tol=1e-4, the classification block's fit
    stopped at epoch 154, but with other seeds or in cross-validation most
    such fits reached max_iter and warned)."""
    code = compile(BLOCKS[index], f"README block {index}", "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if "(a ConvergenceWarning says so)" in BLOCKS[index]:
            with pytest.warns(ConvergenceWarning, match="maximum iterations"):
                exec(code, {})
        else:
            exec(code, {})
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


def results(name):
    return json.loads((REPO / "benchmarks" / "results" / f"{name}.json").read_text())


TEXT = (REPO / "README.md").read_text()
COMPARES = TEXT[TEXT.index("## How it compares"):]


def test_the_forecasting_table_is_the_results_file():
    """Every row of the README's forecasting table is benchmarks/results/forecast.json
    (the model column is the file's model name), to the three decimals shown, and
    the text under it quotes the defaults' MSE over RidgeCV's."""
    forecast = results("forecast")
    lines = [line.strip() for line in COMPARES.splitlines()
             if line.strip().startswith("| ") and "clean_weather" not in line]
    assert len(lines) >= 5
    for line in lines:
        model, *cells, geo, secs = [c.strip() for c in line.strip("|").split("|")]
        rows = {r["series"]: r for r in forecast["rows"] if r["model"] == model}
        assert rows, model
        for name, cell in zip(forecast["series"], cells, strict=True):
            expected = "—" if name not in rows else f"{rows[name]['median_ratio']:.3f}"
            assert cell == expected, (model, name)
        summary = forecast["summary"][model]
        assert geo == f"{summary['geometric_mean']:.3f}", model
        assert secs == f"{summary['median_fit_seconds']:.2f}", model
    for value in forecast["defaults_over_ridge_cv"].values():
        assert f"{value:.3f}" in COMPARES


def test_the_other_comparisons_are_the_results_files():
    rows = {r["model"]: r for r in results("accuracy")["rows"]}
    rnn, ridge = rows["RNNRegressor, median of seeds 0-4"], rows["Ridge (flattened window)"]
    assert (f"{rnn['valid_mse']:.2f} / {rnn['test_mse']:.2f}" in COMPARES
            and f"{ridge['valid_mse']:.2f} / {ridge['test_mse']:.2f}" in COMPARES)
    classification = results("classification")["results"]
    for model in ("RNNClassifier (defaults: gru)", "1-NN Euclidean (flattened)"):
        scores = {r["dataset"]: r["summary"]["mean_accuracy"] for r in classification
                  if r["model"] == model}
        order = ("ItalyPowerDemand", "GunPoint", "BasicMotions", "JapaneseVowels")
        assert " / ".join(f"{scores[d]:.3f}" for d in order) in COMPARES, model
    speed = {(r["cell"], r["dtype"]): r["ratio"] for r in results("default_fit")["rows"]
             if r["hidden"] == 16}
    for cell in ("elman", "gru", "lstm"):
        assert f"{speed[cell, 'float32']:.2f}x" in COMPARES, cell


def test_the_examples_print_what_their_comments_say(capsys):
    """The blocks whose comments state a result: R² close to 1 (above 0.95) where
    the line printing the score says so, the held-out accuracy 1.0, the chunks'
    windows equal to the whole series' (True)."""
    for block in BLOCKS:
        lines = [line for line in block.splitlines() if line.startswith("print(")]
        claims = [line for line in lines if "# R² close to 1" in line
                  or "# held-out accuracy: 1.0" in line or "# True" in line]
        if not claims:
            continue
        exec(compile(block, "README block", "exec"), {})
        printed = capsys.readouterr().out.strip().splitlines()
        assert len(printed) >= len(lines)
        for line, out in zip(lines, printed):  # one printed line per print(
            if "# R² close to 1" in line:
                assert float(out) > 0.95, out
            elif "# held-out accuracy: 1.0" in line:
                assert out.split()[-1] == "1.0", out
            elif "# True" in line:
                assert out == "True", out


def test_the_forecasting_text_says_what_the_table_shows():
    """The sentence under the forecasting table: the auto window puts the default
    pipeline ahead of ETS and ARIMA (geometric mean), above Ridge on sunspots and
    lynx only; it helps most on the short seasonal and trending series."""
    forecast = results("forecast")
    auto, fixed = "RNNRegressor (defaults, auto window)", "RNNRegressor (defaults)"
    summary = forecast["summary"]
    assert summary[auto]["geometric_mean"] < min(summary["ETS"]["geometric_mean"],
                                                 summary["ARIMA"]["geometric_mean"])
    ratio = {r["series"]: r["median_ratio"] for r in forecast["rows"] if r["model"] == auto}
    assert {name for name, value in ratio.items() if value > 1.0} == {"sunspots", "lynx"}
    assert "stays above Ridge on sunspots and lynx" in COMPARES
    before = {r["series"]: r["median_ratio"] for r in forecast["rows"] if r["model"] == fixed}
    gains = {name: before[name] / ratio[name] for name in ratio}
    assert max(gains, key=gains.get) in ("airline", "us_gdp", "seatbelts")
    assert min(gains["airline"], gains["us_gdp"]) > max(gains["clean_weather"], gains["seattle"])


def test_the_variable_length_guide_quotes_the_classification_results():
    """docs/user_guide/variable_length.rst's JapaneseVowels paragraph is
    results/classification.json: accuracies (mean and range of seeds 0-2) and mean
    fit seconds."""
    guide = " ".join((REPO / "docs" / "user_guide" / "variable_length.rst").read_text().split())
    runs = {r["model"]: r["runs"] for r in results("classification")["results"]
            if r["dataset"] == "JapaneseVowels"}

    def mean(model, key):
        return sum(run[key] for run in runs[model]) / len(runs[model])

    default = "RNNClassifier (defaults: gru)"
    accuracies = [run["accuracy"] for run in runs[default]]
    assert (f"``RNNClassifier()`` (GRU) {mean(default, 'accuracy'):.3f} "
            f"({min(accuracies):.3f}-{max(accuracies):.3f}) in "
            f"{mean(default, 'fit_seconds'):.2f} s per fit") in guide
    for cell in ("lstm", "elman"):
        model = f'RNNClassifier(cell="{cell}")'
        assert f'``cell="{cell}"`` {mean(model, "accuracy"):.3f}' in guide, cell
    gru, lstm = (f"torch nn.{name}(64), Adam 1e-3, batch 16, 200 epochs" for name in ("GRU", "LSTM"))
    assert (f"{mean(gru, 'accuracy'):.3f} / {mean(lstm, 'accuracy'):.3f} in "
            f"{mean(gru, 'fit_seconds'):.1f} / {mean(lstm, 'fit_seconds'):.1f} s") in guide
    ridge, nn1 = runs["RidgeClassifierCV (flattened)"], runs["1-NN Euclidean (flattened)"]
    assert (f"flattened series {ridge[0]['accuracy']:.3f}, 1-NN "
            f"{nn1[0]['accuracy']:.3f}") in guide


def test_the_forecasting_guide_quotes_the_forecast_results():
    """docs/user_guide/forecasting.rst's "Results on the test folds" are
    results/forecast.json: the defaults on the first four series, the geometric means
    of the four, the median fit, the ratios over RidgeCV and US GDP's range."""
    import math

    guide = " ".join((REPO / "docs" / "user_guide" / "forecasting.rst").read_text().split())
    forecast = results("forecast")
    four = ("clean_weather", "seattle", "sunspots", "us_gdp")
    rows = {(r["series"], r["model"]): r for r in forecast["rows"]}

    def geometric_mean(model):
        return math.exp(sum(math.log(rows[s, model]["median_ratio"]) for s in four) / 4)

    default = "RNNRegressor (defaults)"
    ratios = " / ".join(f"{rows[s, default]['median_ratio']:.3f}" for s in four)
    assert (f"scores {ratios} on clean_weather, Seattle, sunspots and US GDP, a geometric "
            f"mean of {geometric_mean(default):.3f}") in guide
    fit = forecast["summary"][default]["median_fit_seconds"]
    assert f"over the seven series of the table is {fit:.2f} s" in guide
    assert len(forecast["series"]) == 7
    assert (f"(RidgeCV) scores {geometric_mean('RidgeCV'):.3f}, ARIMA "
            f"{geometric_mean('ARIMA'):.3f}, ETS {geometric_mean('ETS'):.3f}") in guide
    over = forecast["defaults_over_ridge_cv"]
    assert (f"({over['clean_weather']:.3f} and {over['seattle']:.3f} of its MSE), not on "
            f"sunspots ({over['sunspots']:.3f}) or GDP ({over['us_gdp']:.3f})") in guide
    gdp = rows["us_gdp", default]
    assert (f"nine fits range from {gdp['min_ratio']:.2f} to {gdp['max_ratio']:.2f} of "
            "Ridge's MSE") in guide
    assert len(gdp["ratios"]) == 9
    torch_gru, torch_lstm = (rows["sunspots", f"torch nn.{name}(16)"]["median_ratio"]
                             for name in ("GRU", "LSTM"))
    assert f"default pipeline ({torch_gru:.2f} and {torch_lstm:.2f})" in guide
