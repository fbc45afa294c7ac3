"""Classical one-step-ahead forecasters for bench_forecast.py: seasonal naive, ETS, ARIMA.

Each takes the univariate series ``x`` (the column whose next value is the
target), the fold's first scored row ``start`` and its end ``stop``, and
returns the forecasts of ``x[start + 1], ..., x[stop]``: the targets of rows
``start, ..., stop - 1`` (the target of row ``t`` is ``x[t + 1]``). Parameters
are fitted on ``x[: start + 1]``, what the window models see when they fit on
rows ``:start`` (the last training target is ``x[start]``), then held fixed:
the forecast of ``x[t + 1]`` is a true one-step-ahead forecast from
``x[: t + 1]``.
"""

import warnings

import numpy as np

ARIMA_ORDERS = [(p, d, q) for p in range(4) for d in range(2) for q in range(3)]


def seasonal_naive(x, start, stop, period):
    """``x[t] + (x[t + 1 - period] - x[t - period])``: the last value plus the change
    one season earlier."""
    t = np.arange(start, stop)
    if t[0] - period < 0:
        raise ValueError(f"seasonal naive needs {period + 1} rows before row {start}")
    return x[t] + (x[t + 1 - period] - x[t - period])


def ets_spec(n_train, period):
    """Damped additive trend; additive seasonality if ``period`` and two seasons fit."""
    seasonal = period is not None and n_train >= 2 * period
    spec = dict(error="add", trend="add", damped_trend=True)
    if seasonal:
        spec.update(seasonal="add", seasonal_periods=period)
    return spec


def ets(x, start, stop, period=None):
    """statsmodels ETSModel fitted on ``x[: start + 1]``, then filtered with the same
    parameters and initial states over ``x[: stop + 1]``."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    train = x[: start + 1]
    spec = ets_spec(len(train), period)
    # with a season of hundreds of steps, estimating every initial seasonal state
    # is slow and ill-posed: the heuristic (decomposition of the first seasons)
    init = "heuristic" if "seasonal" in spec else "estimated"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(train, initialization_method=init, **spec).fit(disp=False)
        known = dict(initial_level=fit.initial_level, initial_trend=fit.initial_trend)
        if "seasonal" in spec:
            known["initial_seasonal"] = fit.initial_seasonal
        full = ETSModel(x[: stop + 1], initialization_method="known", **known, **spec)
        params = dict(zip(fit.model.param_names, np.asarray(fit.params)))
        smoothed = full.smooth([params[name] for name in full.param_names])
    fitted = np.asarray(smoothed.fittedvalues)
    # the same model: over the training rows the filter reproduces the fit
    np.testing.assert_allclose(fitted[: start + 1], np.asarray(fit.fittedvalues),
                               rtol=1e-6, atol=1e-8 * np.abs(train).max())
    return fitted[start + 1 : stop + 1]


def arima_order(train):
    """The (p, d, q) with the lowest AIC on ``train`` over ``ARIMA_ORDERS``."""
    from statsmodels.tsa.arima.model import ARIMA

    best, best_aic = None, np.inf
    for order in ARIMA_ORDERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                aic = ARIMA(train, order=order).fit().aic
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.isfinite(aic) and aic < best_aic:
            best, best_aic = order, aic
    return best


def arima(x, start, stop, order=None):
    """statsmodels ARIMA (order by AIC unless given) fitted on ``x[: start + 1]``, then
    ``append(..., refit=False)``: the Kalman filter with the fitted parameters."""
    from statsmodels.tsa.arima.model import ARIMA

    train = x[: start + 1]
    order = arima_order(train) if order is None else order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ARIMA(train, order=order).fit()
        extended = fit.append(x[start + 1 : stop + 1], refit=False)
    # predict(i) is the one-step-ahead forecast of x[i] from x[:i]
    return np.asarray(extended.predict(start=start + 1, end=stop)), order
