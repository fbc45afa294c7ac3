"""Beyond one machine: chunked (out-of-core) training, dask arrays, a dask cluster.

The chunk tests need only NumPy and run everywhere; the dask tests need the
``dask`` extra (``pip install "skrnn[dask]"``) and skip without it.
"""

import os
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_weather
from skrnn.incremental import (
    array_chunks,
    dask_chunks,
    fit_chunks,
    predict_chunks,
    predict_dask,
    window_chunks,
    window_dask,
)

from .conftest import weather_csv

FEATURES = ["tmax", "tmin", "rain"]


def series(n_rows=1000, n_features=3, seed=0, dtype=np.float64):
    """A smooth multivariate series and a target that depends on its recent past."""
    rng = np.random.RandomState(seed)
    t = np.arange(n_rows)
    X = np.column_stack(
        [np.sin(2 * np.pi * t / (30 + 7 * k)) + 0.3 * rng.normal(size=n_rows)
         for k in range(n_features)]
    ).astype(dtype)
    y = (X[:, 0] + 0.5 * np.roll(X[:, 1], 2)).astype(dtype)
    return X, y


def whole_windows(X, y, window_length, padding="edge", flatten=False):
    """The reference: SequenceWindower on the whole series at once."""
    windows = SequenceWindower(
        window_length, padding="edge" if padding is None else padding, flatten=flatten
    ).fit_transform(X)
    if padding is None:
        return windows[window_length - 1 :], y[window_length - 1 :]
    return windows, y


def concatenated(pairs):
    pairs = list(pairs)
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def assert_same_model(a, b):
    """Bit-for-bit equal fitted RNNRegressors."""
    for name in ["input_weights_", "recurrent_weights_", "hidden_biases_"]:
        for wa, wb in zip(getattr(a, name), getattr(b, name), strict=True):
            np.testing.assert_array_equal(wa, wb, err_msg=name)
    for name in ["output_weights_", "output_bias_", "y_mean_", "y_scale_"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.loss_curve_ == b.loss_curve_
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)


# ------------------------------------------------------- chunks, no dask needed


@pytest.mark.parametrize("padding", ["edge", "zeros", None])
@pytest.mark.parametrize("chunk_size", [1, 3, 8, 97, 1000])
@pytest.mark.parametrize("window_length", [1, 4, 9])
def test_chunk_windows_are_the_whole_series_windows(window_length, chunk_size, padding):
    # chunk sizes below, equal to and above window_length - 1, one uneven, one whole
    X, y = series(n_rows=300)
    for flatten in (False, True):
        got_X, got_y = concatenated(window_chunks(
            array_chunks(X, y, chunk_size), window_length, padding=padding, flatten=flatten
        ))
        ref_X, ref_y = whole_windows(X, y, window_length, padding, flatten)
        assert got_X.shape == ref_X.shape
        np.testing.assert_array_equal(got_X, ref_X)  # same windows, same order, same bits
        np.testing.assert_array_equal(got_y, ref_y)


def test_chunk_windows_keep_float32_and_read_dataframes():
    X, y = series(n_rows=120, dtype=np.float32)
    frame = pd.DataFrame(X, columns=FEATURES)
    got_X, got_y = concatenated(window_chunks(array_chunks(frame, pd.Series(y), 25), 7))
    ref_X, _ = whole_windows(X, y, 7)
    assert got_X.dtype == np.float32
    np.testing.assert_array_equal(got_X, ref_X)
    np.testing.assert_array_equal(got_y, y)


def test_empty_and_target_free_chunks():
    X, _ = series(n_rows=40)
    chunks = [(X[:0], None), (X[:10], None), (X[10:10], None), (X[10:], None)]
    pairs = list(window_chunks(chunks, 5))
    assert [p[0].shape[0] for p in pairs] == [10, 30] and pairs[0][1] is None
    np.testing.assert_array_equal(np.concatenate([p[0] for p in pairs]),
                                  SequenceWindower(5).fit_transform(X))


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_fit_chunks_equals_partial_fit_on_the_whole_series_windows(shuffle, cell):
    # One partial_fit per chunk over two epochs; the reference calls partial_fit
    # on the matching row slices of the windows of the whole series.
    X, y = series(n_rows=1000)
    chunk, window = 200, 7
    params = dict(cell=cell, hidden_size=6, batch_size=50, shuffle=shuffle, random_state=0)
    chunked = fit_chunks(RNNRegressor(**params), array_chunks(X, y, chunk), window, epochs=2)
    W, _ = whole_windows(X, y, window)
    reference = RNNRegressor(**params)
    for _ in range(2):
        for start in range(0, len(X), chunk):
            reference.partial_fit(W[start : start + chunk], y[start : start + chunk])
    assert_same_model(chunked, reference)
    assert chunked.n_iter_ == 10  # one partial_fit (one epoch) per chunk
    # the target standardisation comes from the first chunk only
    np.testing.assert_array_equal(chunked.y_mean_, [np.mean(y[:chunk])])
    assert chunked.y_mean_[0] != pytest.approx(np.mean(y), abs=1e-3)


def balanced_series(n_rows, chunk, window, n_features=3, seed=0):
    """Values +-1 whose windows (edge-padded at the start, as fit_chunks and
    SequenceWindower make them) sum to 0 over the first chunk and over the whole
    series, feature by feature: both then have mean 0 and standard deviation 1
    exactly, so the input standardisation is the identity in both fits."""
    assert window == 4  # the counts below: row 0 is in 10 windows, the last three in 3, 2, 1
    rng = np.random.RandomState(seed)
    X = rng.choice([-1.0, 1.0], size=(n_rows, n_features))

    def set_sum(rows, total):
        for column in range(n_features):
            part = X[rows, column]
            while part.sum() != total:  # one flip moves the sum by 2
                i = rng.choice(np.flatnonzero(part == np.sign(part.sum() - total)))
                part[i] = -part[i]
            X[rows, column] = part

    # 10 x_0 + 4 (x_1 + ... + x_{m-4}) + 3 x_{m-3} + 2 x_{m-2} + x_{m-1} = 0 for
    # m = chunk and m = n_rows: x_0 = 1, the last three -1, 1, -1, the middle -2
    X[0] = 1.0
    X[chunk - 3 : chunk] = X[n_rows - 3 :] = [[-1.0], [1.0], [-1.0]]
    set_sum(slice(1, chunk - 3), -2.0)
    set_sum(slice(chunk, n_rows - 3), 1.0)  # so that rows 1 to n_rows - 4 sum to -2
    return X


def test_chunked_epoch_equals_one_whole_epoch_when_the_first_chunk_has_the_series_statistics():
    # With y = +-1 and each chunk balanced, the first chunk's mean (0) and std (1)
    # are exactly the whole series', and so are the inputs' (balanced_series);
    # with shuffle=False and batch_size dividing the chunk size, the mini-batches
    # are the same, in the same order.
    X = balanced_series(800, 200, 4)
    y = np.tile([1.0, -1.0], 400)
    # Without the linear path, which starts at the ridge fit of the first
    # partial_fit's data (the first chunk here, the whole series there).
    params = dict(hidden_size=5, batch_size=40, shuffle=False, random_state=3,
                  skip_connection=False)
    chunked = fit_chunks(RNNRegressor(**params), array_chunks(X, y, 200), 4)
    whole = RNNRegressor(**params).partial_fit(*whole_windows(X, y, 4))
    np.testing.assert_array_equal(chunked.y_mean_, whole.y_mean_)
    np.testing.assert_array_equal(chunked.y_scale_, whole.y_scale_)
    for model in (chunked, whole):
        assert np.all(model.x_mean_ == 0) and np.all(model.x_scale_ == 1)
    for a, b in zip(chunked.input_weights_ + chunked.recurrent_weights_,
                    whole.input_weights_ + whole.recurrent_weights_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(chunked.output_weights_, whole.output_weights_)
    assert (chunked.n_iter_, whole.n_iter_) == (4, 1)  # one epoch per call
    assert chunked.t_ == whole.t_ == 800


def test_fit_chunks_from_a_memmap_on_disk(tmp_path):
    X, y = series(n_rows=1200)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    y_disk = np.load(tmp_path / "y.npy", mmap_mode="r")
    params = dict(hidden_size=8, random_state=0)
    from_disk = fit_chunks(RNNRegressor(**params), array_chunks(X_disk, y_disk, 300), 7,
                           epochs=4)
    in_memory = fit_chunks(RNNRegressor(**params), array_chunks(X, y, 300), 7, epochs=4)
    assert_same_model(from_disk, in_memory)
    pred = predict_chunks(from_disk, array_chunks(X_disk, None, 300), 7)
    whole_pred = from_disk.predict(whole_windows(X, y, 7)[0])
    np.testing.assert_allclose(pred, whole_pred, rtol=1e-12, atol=1e-12)
    assert np.mean((pred - y) ** 2) < 0.3 * np.var(y)  # four epochs learn something


def test_a_scaler_fitted_in_a_first_pass_is_applied_before_windowing():
    X, y = series(n_rows=500)
    X = X * [10.0, 2.0, 0.5] + [50.0, -3.0, 1.0]
    chunks = array_chunks(X, y, 64)
    scaler = StandardScaler()
    for X_chunk, _ in chunks:  # the first pass
        scaler.partial_fit(X_chunk)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0), rtol=1e-12)
    got_X, _ = concatenated(window_chunks(chunks, 6, transformer=scaler))
    ref_X = SequenceWindower(6).fit_transform(scaler.transform(X))
    np.testing.assert_array_equal(got_X, ref_X)  # what make_pipeline(scaler, windower) gives


def test_epochs_need_chunks_that_can_be_read_again():
    X, y = series(n_rows=200)
    one_shot = ((X[i : i + 50], y[i : i + 50]) for i in range(0, 200, 50))
    with pytest.raises(TypeError, match="one-shot iterator"):
        fit_chunks(RNNRegressor(), one_shot, 3, epochs=2)
    params = dict(hidden_size=4, random_state=0)
    as_list = fit_chunks(RNNRegressor(**params), list(array_chunks(X, y, 50)), 3, epochs=2)
    as_callable = fit_chunks(RNNRegressor(**params), lambda: iter(array_chunks(X, y, 50)), 3,
                             epochs=2)
    assert_same_model(as_list, as_callable)
    assert as_list.n_iter_ == 8


def test_chunk_errors_name_the_problem():
    X, y = series(n_rows=100)
    with pytest.raises(ValueError, match="chunk 1: X has 50 rows but y has 49"):
        list(window_chunks([(X[:50], y[:50]), (X[50:], y[51:])], 3))
    with pytest.raises(ValueError, match="chunk 1 has 2 features but the first chunk had 3"):
        list(window_chunks([(X[:50], y[:50]), (X[50:, :2], y[50:])], 3))
    with pytest.raises(TypeError, match=r"pair \(X_chunk, y_chunk\)"):
        list(window_chunks([X[:50]], 3))
    with pytest.raises(ValueError, match="X of chunk 0"):
        list(window_chunks([(np.full((5, 3), np.nan), None)], 3))
    with pytest.raises(ValueError, match="window_length must be an integer >= 1"):
        window_chunks([], 0)
    with pytest.raises(ValueError, match="padding must be"):
        window_chunks([], 3, padding="reflect")
    with pytest.raises(ValueError, match="epochs must be"):
        fit_chunks(RNNRegressor(), [], 3, epochs=0)
    with pytest.raises(TypeError, match="needs an estimator with partial_fit"):
        fit_chunks(make_pipeline(StandardScaler(), RNNRegressor()), [], 3)
    with pytest.raises(ValueError, match="needs targets"):
        fit_chunks(RNNRegressor(), array_chunks(X, None, 50), 3)
    with pytest.raises(ValueError, match="X has 100 rows but y has 99"):
        array_chunks(X, y[:99], 10)
    with pytest.raises(ValueError, match="no window"):
        predict_chunks(RNNRegressor(), [(X[:3], None)], 5, padding=None)


def test_unfitted_estimator_and_pipeline_pickle_cheaply():
    # What a cluster ships to each worker per candidate, before it sees any data.
    pipe = make_pipeline(StandardScaler(), SequenceWindower(7), RNNRegressor(random_state=0))
    assert len(pickle.dumps(pipe)) < 4_000
    assert len(pickle.dumps(RNNRegressor())) < 2_000
    # a fitted model is small too (its weights), whatever the training set's size
    X, y = series(n_rows=3000)
    fitted = RNNRegressor(random_state=0, hidden_size=8).partial_fit(
        *whole_windows(X, y, 7))
    assert len(pickle.dumps(fitted)) < 40_000  # the default LSTM: 4 gate blocks


# ------------------------------------------------------------------- dask arrays


@pytest.fixture
def da():
    return pytest.importorskip("dask.array")


@pytest.mark.parametrize("padding", ["edge", None])
@pytest.mark.parametrize("row_chunks", [(2,), (50, 3, 3, 144), (100,)])
def test_window_dask_is_the_whole_series_windows(da, row_chunks, padding):
    X, y = series(n_rows=200)
    X_dask = da.from_array(X, chunks=(row_chunks[0] if len(row_chunks) == 1 else row_chunks, 2))
    for flatten in (False, True):
        lazy = window_dask(X_dask, 8, padding=padding, flatten=flatten)
        ref, _ = whole_windows(X, y, 8, padding, flatten)
        assert lazy.shape == ref.shape
        np.testing.assert_array_equal(lazy.compute(), ref)


def test_window_dask_blocks_follow_the_row_blocks(da):
    X, _ = series(n_rows=100)
    lazy = window_dask(da.from_array(X, chunks=(30, 3)), 5)
    assert lazy.chunks[0] == (30, 30, 30, 10)
    skipped = window_dask(da.from_array(X, chunks=(3, 3)), 8, padding=None)
    assert sum(skipped.chunks[0]) == 93 and skipped.chunks[0][:2] == (2, 3)


def test_fit_chunks_over_dask_blocks_equals_array_chunks(da):
    X, y = series(n_rows=900)
    X_dask = da.from_array(X, chunks=(300, 2))  # columns are merged into one chunk
    y_dask = da.from_array(y, chunks=450)  # realigned to X's row blocks
    chunks = dask_chunks(X_dask, y_dask)
    assert len(chunks) == 3
    params = dict(hidden_size=6, random_state=1)
    from_dask = fit_chunks(RNNRegressor(**params), chunks, 7, epochs=2)
    from_arrays = fit_chunks(RNNRegressor(**params), array_chunks(X, y, 300), 7, epochs=2)
    assert_same_model(from_dask, from_arrays)


def test_fit_chunks_over_dask_dataframe_partitions():
    dd = pytest.importorskip("dask.dataframe")
    X, y = series(n_rows=600)
    frame = pd.DataFrame(X, columns=FEATURES)
    X_dd = dd.from_pandas(frame, npartitions=4, sort=False)
    y_dd = dd.from_pandas(pd.Series(y), npartitions=4, sort=False)
    sizes = [len(part) for part, _ in dask_chunks(X_dd, y_dd)]
    assert sum(sizes) == 600 and len(sizes) == 4
    params = dict(hidden_size=6, random_state=1)
    from_dask = fit_chunks(RNNRegressor(**params), dask_chunks(X_dd, y_dd), 5)
    bounds = np.cumsum([0] + sizes)
    chunks = [(X[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    assert_same_model(from_dask, fit_chunks(RNNRegressor(**params), chunks, 5))


def test_dask_chunks_reject_what_they_cannot_align(da):
    X, y = series(n_rows=100)
    with pytest.raises(TypeError, match="use array_chunks"):
        dask_chunks(X, y)
    with pytest.raises(ValueError, match="2-D dask array of rows"):
        dask_chunks(da.zeros((10, 2, 2)))
    with pytest.raises(ValueError, match="X has 100 rows but y has 99"):
        dask_chunks(da.from_array(X), da.from_array(y[:99]))


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_predict_dask_matches_in_memory_predict(da, flatten, n_outputs, cell):
    X, y = series(n_rows=700)
    windows, _ = whole_windows(X, y, 7, flatten=flatten)
    target = y if n_outputs == 1 else np.column_stack([y, -2 * y])
    model = RNNRegressor(cell=cell, random_state=0, max_iter=3, n_features_per_step=3)
    model.fit(windows, target)
    lazy_windows = window_dask(da.from_array(X, chunks=(128, 3)), 7, flatten=flatten)
    lazy = predict_dask(model, lazy_windows)
    assert lazy.shape == target.shape and lazy.chunks[0] == lazy_windows.chunks[0]
    got = lazy.compute()
    # each block is exactly predict() on that block of windows ...
    blockwise = np.concatenate(
        [model.predict(windows[a : a + 128]) for a in range(0, len(windows), 128)])
    np.testing.assert_array_equal(got, blockwise)
    # ... and the whole equals in-memory predict up to BLAS rounding (batch sizes differ)
    np.testing.assert_allclose(got, model.predict(windows), rtol=1e-12, atol=1e-12)


def test_dask_ml_incremental_trains_on_flat_windows(da):
    # dask-ml's Incremental drives partial_fit over the blocks of 2-D arrays only
    # (3-D blocks fail inside dask-ml), so it is given flattened windows.
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = series(n_rows=600)
    X_windows = window_dask(da.from_array(X, chunks=(150, 3)), 7, flatten=True)
    y_dask = da.from_array(y, chunks=150)
    params = dict(hidden_size=6, random_state=0, n_features_per_step=3)
    inc = wrappers.Incremental(RNNRegressor(**params), shuffle_blocks=False)
    inc.fit(X_windows, y_dask)
    ours = fit_chunks(RNNRegressor(**params), array_chunks(X, y, 150), 7, flatten=True)
    assert_same_model(inc.estimator_, ours)


# ------------------------------------------------------------- a dask cluster


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    import dask

    # The nanny writes its pre-spawn variables (OMP_NUM_THREADS=1,
    # MALLOC_TRIM_THRESHOLD_, ...) into this process's environment, where every
    # later subprocess of the test session would inherit them: restore it.
    environ = dict(os.environ)
    # distributed's default MALLOC_TRIM_THRESHOLD_=65536 makes training
    # several times slower on the workers; unset it, as docs/dask.rst advises.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(scope="module")
def weather():
    return load_weather(weather_csv())


def test_grid_search_on_a_local_cluster_matches_the_local_search(client, weather):
    from dask.distributed import get_task_stream
    from joblib import parallel_config

    X, y = weather[FEATURES].iloc[:1200], weather["tmax_tomorrow"].iloc[:1200]
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(), RNNRegressor(max_iter=5, random_state=0)
    )
    grid = {"rnnregressor__cell": ["elman", "lstm"], "sequencewindower__window_length": [3, 7]}
    cv = TimeSeriesSplit(n_splits=3, gap=6)

    def search(n_jobs):
        gs = GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs, scoring="neg_mean_squared_error")
        return gs.fit(X, y)

    local = search(n_jobs=1)
    with get_task_stream(client) as stream, parallel_config(backend="dask"):
        distributed = search(n_jobs=-1)
    # the fits ran on the cluster, spread over both worker processes (joblib
    # sends them in batches: one task may hold several fits)
    workers = {task["worker"] for task in stream.data}
    assert workers == set(client.scheduler_info()["workers"]) and len(workers) == 2
    assert len(distributed.cv_results_["params"]) * cv.n_splits == 12
    assert distributed.best_params_ == local.best_params_
    assert distributed.cv_results_["params"] == local.cv_results_["params"]
    # same seeds, same code, same BLAS: the same scores bit for bit
    for key in ["mean_test_score", "split0_test_score", "split2_test_score"]:
        np.testing.assert_array_equal(distributed.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(distributed.predict(X.iloc[-100:]),
                                  local.predict(X.iloc[-100:]))


def test_predict_dask_runs_on_the_cluster(client, da):
    X, y = series(n_rows=1000)
    windows, _ = whole_windows(X, y, 5)
    model = RNNRegressor(random_state=0, hidden_size=4).partial_fit(windows, y)
    lazy = predict_dask(model, window_dask(da.from_array(X, chunks=(250, 3)), 5))
    from dask.distributed import get_task_stream

    with get_task_stream(client) as stream:
        got = client.compute(lazy).result()
    assert {task["worker"] for task in stream.data} <= set(client.scheduler_info()["workers"])
    assert len(stream.data) > 0
    blockwise = np.concatenate([model.predict(windows[a : a + 250]) for a in range(0, 1000, 250)])
    np.testing.assert_array_equal(got, blockwise)


def test_the_workers_run_without_distributed_malloc_trim_threshold(client):
    # The advice of docs/dask.rst, applied by the fixture, reaches the workers.
    environ = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(environ.values()) == {None} and len(environ) == 2
