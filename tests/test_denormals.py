"""Subnormal numbers are flushed to zero while the network computes, and only then.

Why: a float32 product on an array holding subnormal numbers runs 20 to 45
times slower on x86 (see ``skrnn/_denormals.py``), so an epoch's cost would
follow the trained state. Speed is measured by ``benchmarks/bench_scaling.py
--default-fit``; these tests check the semantics: inside the context a
subnormal result is 0 and a subnormal operand reads as 0, outside it (before,
after, after an error) nothing changed.
"""

import ctypes
import ctypes.util

import numpy as np
import pytest

from skrnn import RNNRegressor, _training
from skrnn._denormals import SUPPORTED, flush_denormals

TINY = np.finfo(np.float32).tiny  # the smallest normal float32


def subnormal_product():
    """1e-30 * 1e-10 in float32: a subnormal number, or 0 when flushed."""
    return (np.full(4, 1e-30, dtype=np.float32) * np.float32(1e-10))[0]


def test_subnormal_results_are_flushed_inside_and_only_inside():
    before = subnormal_product()
    assert 0 < before < TINY  # the default modes keep subnormal numbers
    with flush_denormals():
        inside = subnormal_product()
        with flush_denormals():  # nested: leaving the inner one keeps the outer's modes
            pass
        still_inside = subnormal_product()
    after = subnormal_product()
    if SUPPORTED:
        assert inside == 0.0 and still_inside == 0.0
    else:  # nothing to set: the context does nothing
        assert inside == before and still_inside == before
    assert after == before


def test_the_modes_are_restored_after_an_error():
    with pytest.raises(RuntimeError, match="inside"):
        with flush_denormals():
            raise RuntimeError("inside")
    assert 0 < subnormal_product() < TINY


def _fitted_float32(**params):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5, 2)).astype(np.float32)
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    model = RNNRegressor(cell="elman", hidden_size=4, skip_connection=False, max_iter=3, tol=0,
                         random_state=0, **params)
    return model.fit(X, y), X


def test_fit_and_predict_leave_the_callers_modes_as_they_were():
    model, X = _fitted_float32()
    model.predict(X)
    assert 0 < subnormal_product() < TINY  # default modes after fit and predict
    with flush_denormals():  # a caller who set the modes keeps them
        model.fit(X, X[:, -1, 0])
        model.predict(X)
        assert subnormal_product() == (0.0 if SUPPORTED else subnormal_product())
    assert 0 < subnormal_product() < TINY


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_fit_that_diverges_restores_the_modes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 20, 1))
    model = RNNRegressor(cell="lstm", solver="sgd", learning_rate_init=50.0,
                         clip_grad_norm=None, early_stopping=False, max_iter=50,
                         random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X, X[:, -3, 0])
    assert 0 < subnormal_product() < TINY


def test_predict_reads_a_subnormal_weight_as_zero():
    model, X = _fitted_float32()
    model.output_weights_[...] = 1e-39  # subnormal in float32
    model.output_bias_[...] = 0.0
    y_hat = model.predict(X)
    assert y_hat.dtype == np.float32
    if SUPPORTED:
        assert np.all(y_hat == 0.0)  # read as 0 (and any subnormal product flushed)
    else:
        assert np.any(y_hat != 0.0)
    assert 0 < model.output_weights_[0] < TINY  # the weight itself is not changed


def test_a_subnormal_operand_reads_as_zero_inside():
    """DAZ, not only FTZ: 1e-39 * 2**30 is a normal number (1.07e-30), unless the
    subnormal operand is read as 0 (made outside: inside, its conversion would flush)."""
    sub = np.full(4, 1e-39, dtype=np.float32)
    assert 0 < sub[0] < TINY
    with flush_denormals():
        product = (sub * np.float32(2**30))[0]
    assert product == (0.0 if SUPPORTED else (sub * np.float32(2**30))[0])
    assert (sub * np.float32(2**30))[0] > TINY  # and normal again outside


def test_the_other_floating_point_modes_are_kept():
    """Only the flush bits change: a rounding mode the caller set holds inside and after."""
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    FE_DOWNWARD = 0x400  # x86-64 glibc's value
    before = libm.fegetround()
    assert libm.fesetround(FE_DOWNWARD) == 0
    try:
        with flush_denormals():
            inside = libm.fegetround()
            tenth = (np.ones(1) / 10.0)[0]
        after = libm.fegetround()
    finally:
        libm.fesetround(before)
    assert inside == FE_DOWNWARD and after == FE_DOWNWARD
    assert tenth < 0.1  # rounded down (to nearest, 1/10 rounds up): the mode held


def test_fit_trains_with_subnormals_flushed(monkeypatch):
    """The epochs of fit run inside the context (and predict's passes too)."""
    seen = []
    real_run_epoch = _training.run_epoch

    def spy(*args, **kwargs):
        seen.append(subnormal_product())
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(_training, "run_epoch", spy)
    _fitted_float32()
    assert len(seen) == 3
    expected = 0.0 if SUPPORTED else subnormal_product()
    assert all(value == expected for value in seen)
    assert 0 < subnormal_product() < TINY
