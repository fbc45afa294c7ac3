"""scikit-learn's callbacks (sklearn.callback, 1.9): every epoch is a task that
ProgressBar, ScoringMonitor and a user's own callback see."""

import io
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower, load_model, save_model
from ._helpers import QUIET



def regression(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    return X, X[:, -1, 0] + 0.5 * X[:, -3, 1]


def classification(n=200, seed=0):
    X, y = regression(n, seed)
    return X, np.where(y > 0, "up", "down")


class Recorder:
    """A user's callback: records every hook call, the fitted copies at epoch ends,
    and asks to stop at the end of epoch ``stop_at`` (1-based), if given."""

    def __init__(self, stop_at=None):
        self.stop_at, self.calls, self.fitted = stop_at, [], []

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.calls.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.calls.append(("end", context.task_name, context.task_id))
        self.last_args = (X, y, metadata)
        if context.task_name == "epoch":
            self.fitted.append(fitted_estimator)
            return self.stop_at is not None and context.task_id + 1 == self.stop_at
        return False


def epoch_rows(log):
    return [row for row in log.data if row["task_name"] == "epoch"]


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_scoring_monitor_logs_the_score_of_every_epochs_weights(cell):
    X, y = regression()
    monitor, recorder = ScoringMonitor(scoring="r2"), Recorder()
    model = RNNRegressor(cell=cell, max_iter=6, random_state=0, **QUIET)
    model.set_callbacks(monitor, recorder).fit(X, y)
    rows = epoch_rows(monitor.get_logs())
    assert [row["task_id"] for row in rows] == list(range(6))
    scores = [row["r2"] for row in rows]
    assert np.all(np.isfinite(scores)) and len(set(scores)) == 6
    # each is the score of a model with that epoch's weights: the fitted copies
    # (looked at after the fit: they never changed) and fits stopped at epoch k
    for k, (score, copy) in enumerate(zip(scores, recorder.fitted, strict=True), start=1):
        assert score == pytest.approx(r2_score(y, copy.predict(X)), rel=1e-12)
        stopped = RNNRegressor(cell=cell, max_iter=k, random_state=0, **QUIET).fit(X, y)
        np.testing.assert_array_equal(copy.predict(X), stopped.predict(X))
        assert copy.n_iter_ == k and len(copy.loss_curve_) == k
    np.testing.assert_array_equal(recorder.fitted[-1].predict(X), model.predict(X))
    # the root task is scored too, with the final weights
    root = [row for row in monitor.get_logs().data if row["task_name"] == "fit"]
    assert root[0]["r2"] == pytest.approx(model.score(X, y), rel=1e-12)


def test_scoring_monitor_on_the_classifier_with_sample_weight_as_metadata():
    X, y = classification()
    w = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    monitor = ScoringMonitor(scoring="accuracy")
    model = RNNClassifier(max_iter=4, random_state=0, **QUIET).set_callbacks(monitor)
    model.fit(X, y, sample_weight=w)
    rows = epoch_rows(monitor.get_logs())
    assert len(rows) == 4
    assert rows[-1]["accuracy"] == pytest.approx(
        accuracy_score(y, model.predict(X), sample_weight=w))


def test_hooks_get_the_users_data_the_tree_of_tasks_and_teardown():
    X, y = regression()
    w = np.ones(len(y))
    recorder = Recorder()
    RNNRegressor(max_iter=3, random_state=0, **QUIET).set_callbacks(recorder).fit(
        X, y, sample_weight=w)
    assert recorder.calls == [
        ("setup", "fit"), ("begin", "fit", 0),
        ("begin", "epoch", 0), ("end", "epoch", 0),
        ("begin", "epoch", 1), ("end", "epoch", 1),
        ("begin", "epoch", 2), ("end", "epoch", 2),
        ("end", "fit", 0), ("teardown", "fit"),
    ]
    X_seen, y_seen, metadata = recorder.last_args
    assert X_seen is X and y_seen is y and metadata["sample_weight"] is w


def test_partial_fit_is_a_root_task_with_one_epoch():
    X, y = regression()
    recorder = Recorder()
    model = RNNRegressor(random_state=0).set_callbacks(recorder)
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    assert [c for c in recorder.calls if c[0] in ("begin", "end")] == [
        ("begin", "partial_fit", 0), ("begin", "epoch", 0), ("end", "epoch", 0),
        ("end", "partial_fit", 0)] * 2
    assert model.n_iter_ == 2 and recorder.fitted[0].n_iter_ == 1


def test_a_callback_returning_true_stops_like_tol():
    X, y = regression()
    recorder = Recorder(stop_at=3)
    model = RNNRegressor(max_iter=50, random_state=0, **QUIET).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no warning: a wanted stop
        model.fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    np.testing.assert_array_equal(model.predict(X), recorder.fitted[-1].predict(X))


@pytest.mark.parametrize("estimator", [RNNRegressor, RNNClassifier])
def test_a_callback_stop_with_early_stopping_restores_the_best_epoch(estimator):
    X, y = regression(n=400) if estimator is RNNRegressor else classification(n=400)
    recorder = Recorder(stop_at=5)
    model = estimator(max_iter=50, early_stopping=True, n_iter_no_change=100,
                      random_state=0).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ == 5
    best = model.best_epoch_
    assert 0 <= best <= 5
    if best == 0:  # the weights it started from: the regressor's ridge fit
        assert estimator is RNNRegressor and not model.output_weights_.any()
    else:
        np.testing.assert_array_equal(model._theta, recorder.fitted[best - 1]._theta)


def test_verbose_says_why_training_ended(capsys):
    X, y = regression(n=400)
    RNNRegressor(max_iter=2, random_state=0, verbose=True, **QUIET).fit(X, y)
    assert "Stopped after epoch 2: max_iter=2 reached" in capsys.readouterr().out
    RNNRegressor(max_iter=50, random_state=0, verbose=True, **QUIET).set_callbacks(
        Recorder(stop_at=2)).fit(X, y)
    assert "Stopped after epoch 2: a callback asked to stop." in capsys.readouterr().out
    model = RNNRegressor(max_iter=200, random_state=0, verbose=True, early_stopping=True,
                         n_iter_no_change=3, skip_connection=False).fit(X, y)
    out = capsys.readouterr().out
    assert (f"Stopped after epoch {model.n_iter_}: the validation score did not improve "
            f"by at least tol=0.0001 for 3 epochs; restored the weights of epoch "
            f"{model.best_epoch_}, the best on the validation part.") in out
    assert 1 <= model.best_epoch_ <= model.n_iter_
    # a linear target: no epoch improves on the ridge fit the model starts from
    linear = RNNRegressor(max_iter=200, random_state=0, verbose=True,
                          early_stopping=True, n_iter_no_change=3).fit(X, y)
    out = capsys.readouterr().out
    assert linear.best_epoch_ == 0 and not linear.output_weights_.any()
    assert (f"Stopped after epoch {linear.n_iter_}: the validation score did not improve by "
            "at least tol=0.0001 for 3 epochs; kept the weights it started from, the ridge "
            "fit of the linear path: no epoch improved on them on the validation part.") in out


def rendered(capfd):
    out, err = capfd.readouterr()
    return out + err


@pytest.mark.parametrize("estimator", [RNNRegressor, RNNClassifier])
def test_progress_bar_alone_and_in_a_search(estimator, capfd):
    pytest.importorskip("rich")  # the test extra installs it: this does not skip in CI
    X, y = regression(n=120) if estimator is RNNRegressor else classification(n=120)
    estimator(max_iter=3, random_state=0).set_callbacks(ProgressBar()).fit(X, y)
    text = rendered(capfd)
    assert f"{estimator.__name__} - fit" in text and "100%" in text
    search = GridSearchCV(estimator(max_iter=3, random_state=0), {"hidden_size": [4, 8]},
                          cv=2)
    search.set_callbacks(ProgressBar()).fit(X, y)
    text = rendered(capfd)
    assert "GridSearchCV - fit" in text
    # one bar per fit of the network inside the search: 2 candidates x 2 folds + refit
    assert text.count(f"{estimator.__name__} - fit") == 5


def test_callbacks_propagate_from_a_pipeline_and_into_worker_processes(capfd):
    pytest.importorskip("rich")
    rng = np.random.RandomState(0)
    rows = rng.normal(size=(200, 2))
    y = np.roll(rows[:, 0], -1)
    pipe = make_pipeline(StandardScaler(), SequenceWindower(4),
                         RNNRegressor(max_iter=2, random_state=0))
    pipe.set_callbacks(ProgressBar()).fit(rows, y)
    assert "RNNRegressor - fit" in rendered(capfd)
    # n_jobs=2: the searches send the network's epochs back from the workers
    monitor = ScoringMonitor(scoring="r2")
    X, y = regression(n=120)
    search = GridSearchCV(
        RNNRegressor(max_iter=3, random_state=0, **QUIET).set_callbacks(monitor),
        {"hidden_size": [4, 8]}, cv=2, n_jobs=2,
    )
    search.fit(X, y)
    rows_logged = epoch_rows(monitor.get_logs())
    assert len(rows_logged) == (2 * 2 + 1) * 3  # (candidates x folds + refit) x epochs
    assert all(np.isfinite(row["r2"]) for row in rows_logged)
    for search in (
        GridSearchCV(RNNRegressor(max_iter=2, random_state=0), {"hidden_size": [4, 8]},
                     cv=2, n_jobs=2),
        RandomizedSearchCV(RNNRegressor(max_iter=2, random_state=0),
                           {"hidden_size": [4, 8, 16]}, n_iter=2, cv=2, n_jobs=2,
                           random_state=0),
    ):
        search.set_callbacks(ProgressBar()).fit(X, y)
        assert rendered(capfd).count("RNNRegressor - fit") == 5


def test_clone_pickle_and_save_model_with_callbacks(tmp_path):
    X, y = regression()
    recorder = Recorder()
    model = RNNRegressor(max_iter=2, random_state=0, **QUIET).set_callbacks(recorder)
    assert clone(model)._skl_callbacks == [recorder]  # as scikit-learn's clone does
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert len(restored._skl_callbacks) == 1
    assert isinstance(restored._skl_callbacks[0], Recorder)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    restored.set_params(max_iter=1, warm_start=True).fit(X, y)  # its copy records
    assert restored._skl_callbacks[0].calls[-1] == ("teardown", "fit")
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    assert not hasattr(load_model(buffer), "_skl_callbacks")  # callbacks are not saved
    assert not hasattr(model.set_callbacks(), "_skl_callbacks")  # set_callbacks() clears


def test_set_callbacks_rejects_what_is_not_a_callback():
    with pytest.raises(TypeError, match="FitCallback protocol"):
        RNNRegressor().set_callbacks(print)
