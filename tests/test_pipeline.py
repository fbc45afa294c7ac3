"""The weather task end to end: Pipeline, GridSearchCV, clone, pickle, the demo."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn._demo import main as demo_main
from skrnn.datasets import load_weather

from .conftest import weather_csv

FEATURES = ["tmax", "tmin", "rain"]


@pytest.fixture(scope="module")
def weather():
    return load_weather(weather_csv())


def test_pipeline_fits_and_predicts_the_weather_dataframe(weather):
    X, y = weather[FEATURES].iloc[:3000], weather["tmax_tomorrow"].iloc[:3000]
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(7), RNNRegressor(random_state=0, max_iter=30)
    )
    pipe.fit(X.iloc[:2500], y.iloc[:2500])
    rnn = pipe[-1]
    assert (rnn.n_steps_, rnn.n_features_per_step_) == (7, 3)
    assert rnn.validation_scores_ is not None  # 2500 rows: early stopping is on
    pred = pipe.predict(X.iloc[2500:])
    assert pred.shape == (500,)
    mse = np.mean((pred - y.iloc[2500:].to_numpy()) ** 2)
    persistence = np.mean((X["tmax"].iloc[2500:].to_numpy() - y.iloc[2500:].to_numpy()) ** 2)
    assert mse < 1.1 * persistence  # a few epochs already compete with persistence


def test_flat_pipeline_keeps_feature_names(weather):
    X, y = weather[FEATURES].iloc[:500], weather["tmax_tomorrow"].iloc[:500]
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(3, flatten=True),
        RNNRegressor(n_features_per_step=3, max_iter=3, random_state=0),
    ).set_output(transform="pandas")
    pipe.fit(X, y)
    assert pipe[-1].feature_names_in_.tolist()[-3:] == ["tmax_lag0", "tmin_lag0", "rain_lag0"]
    assert pipe.predict(X).shape == (500,)


def test_grid_search_over_hidden_size_learning_rate_and_window(weather):
    X, y = weather[FEATURES].iloc[:1200], weather["tmax_tomorrow"].iloc[:1200]
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(), RNNRegressor(max_iter=5, random_state=0)
    )
    grid = {
        "rnnregressor__hidden_size": [4, 8],
        "rnnregressor__learning_rate_init": [3e-3, 1e-2],
        "sequencewindower__window_length": [3, 7],
    }
    search = GridSearchCV(
        pipe, grid, cv=TimeSeriesSplit(n_splits=3, gap=6), n_jobs=2,
        scoring="neg_mean_squared_error",
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert set(search.best_params_) == set(grid)
    best = search.best_estimator_
    assert best[1].window_length == search.best_params_["sequencewindower__window_length"]
    assert best[-1].hidden_size == search.best_params_["rnnregressor__hidden_size"]
    assert best.predict(X.iloc[-50:]).shape == (50,)


def test_clone_and_pickle_round_trip_of_the_fitted_pipeline(weather):
    X, y = weather[FEATURES].iloc[:400], weather["tmax_tomorrow"].iloc[:400]
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(5), RNNRegressor(max_iter=3, random_state=0)
    )
    pipe.fit(X, y)
    twin = clone(pipe).fit(X, y)
    fresh = clone(pipe)
    assert not hasattr(fresh[-1], "n_iter_")  # clone is unfitted
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(twin.predict(X), pipe.predict(X))  # same seed, same model


def test_demo_runs_on_the_tutorial_csv(capsys, tmp_path):
    small = load_weather(weather_csv()).iloc[:1500]
    path = tmp_path / "weather.csv"
    small.to_csv(path)
    assert demo_main(["demo", "--csv", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    for name in ["persistence", "Ridge", "MLPRegressor", "RNNRegressor"]:
        assert name in out
    table = [line for line in out.splitlines() if line.startswith("| RNNRegressor")]
    valid_mse = float(table[0].split("|")[2])
    assert 0 < valid_mse < 60


def test_demo_errors_are_one_line(capsys, tmp_path):
    assert demo_main(["demo", "--csv", str(tmp_path / "missing.csv")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m skrnn: error:") and "\n" not in err
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(bad)
    assert demo_main(["demo", "--csv", str(bad)]) == 1
    assert "tmax" in capsys.readouterr().err
    for argv in (["demo", "--window-length", "0"], ["demo", "--no-such-option"],
                 ["demo", "--seeds", "x"], []):
        with pytest.raises(SystemExit) as exc:
            demo_main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "error:" in err and err.count("\n") == 1, err


def test_demo_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        demo_main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ["--csv", "--window-length", "--seeds", "--plot", "--quiet"]:
        assert option in out
