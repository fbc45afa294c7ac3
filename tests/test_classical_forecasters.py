"""The classical forecasters of benchmarks/bench_forecast.py forecast one step ahead
from the past only: changing the series from step t on never changes the
forecasts of steps up to t."""

import sys

import numpy as np
import pytest

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import _classical  # noqa: E402


def toy_series(n=120, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 10 + 0.05 * t + np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=n)


def forecasts(name, x, start, stop):
    if name == "seasonal naive":
        return _classical.seasonal_naive(x, start, stop, 12)
    if name == "ETS":
        return _classical.ets(x, start, stop, 12)
    if name == "ETS (no season)":
        return _classical.ets(x, start, stop, None)
    return _classical.arima(x, start, stop, order=(2, 1, 1))[0]


NAMES = ["seasonal naive", "ETS", "ETS (no season)", "ARIMA"]


@pytest.mark.parametrize("name", NAMES)
def test_the_forecast_of_a_step_uses_only_the_steps_before_it(name):
    x = toy_series()
    start, stop = 80, 110
    base = forecasts(name, x, start, stop)
    assert base.shape == (stop - start,) and np.all(np.isfinite(base))
    # forecast k (of x[start + 1 + k]) may use x[: start + 1 + k] only
    for k in (0, 7, 29):
        changed = x.copy()
        changed[start + 1 + k :] += 100.0  # the future from the forecast step on
        other = forecasts(name, changed, start, stop)
        np.testing.assert_allclose(other[: k + 1], base[: k + 1], rtol=1e-9, atol=1e-9)
        if k + 1 < len(base):  # and the steps after it do see the change
            assert np.all(np.abs(other[k + 1 :] - base[k + 1 :]) > 1.0)


@pytest.mark.parametrize("name", ["ETS", "ETS (no season)", "ARIMA"])
def test_parameters_are_fitted_on_the_training_part_only(name):
    """Changing the scored part does not change the forecast of its first step,
    which depends on the training fit alone."""
    x = toy_series()
    start, stop = 80, 110
    changed = x.copy()
    changed[start + 1 :] = 0.0
    assert forecasts(name, changed, start, stop)[0] == pytest.approx(
        forecasts(name, x, start, stop)[0], rel=1e-9)


def test_seasonal_naive_is_the_last_value_plus_the_change_a_season_earlier():
    x = np.arange(30.0) ** 1.5
    pred = _classical.seasonal_naive(x, 20, 25, 12)
    np.testing.assert_allclose(pred, [x[t] + x[t + 1 - 12] - x[t - 12] for t in range(20, 25)])
    with pytest.raises(ValueError, match="needs 13 rows before row 5"):
        _classical.seasonal_naive(x, 5, 10, 12)


def test_ets_has_a_season_only_when_two_fit_and_arima_picks_an_order_by_aic():
    assert _classical.ets_spec(23, 12).get("seasonal") is None
    assert _classical.ets_spec(24, 12)["seasonal"] == "add"
    assert _classical.ets_spec(500, None).get("seasonal") is None
    x = toy_series(200)
    order = _classical.arima_order(x[:150])
    assert order in _classical.ARIMA_ORDERS and order[1] == 1  # the trend needs d = 1
