"""TelarClassifier against scikit-learn itself: its estimator checks, its meta-estimators
(Pipeline, GridSearchCV with two processes, cross_val_score, clone), its input errors, and
pickling through telar's file format."""

from __future__ import annotations

import io
import pickle
import pickletools
import warnings

import numpy as np
import pytest
from helpers.fake_data import synthetic_images
from helpers.toy_learner import blobs
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from telar.errors import ModelFileError
from telar.sklearn import TelarClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Small and quick: scikit-learn's checks fit dozens of times on data sets of ~100 rows.
CHECKED = [TelarClassifier(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01,
                           random_state=0),
           TelarClassifier(hidden_layer_sizes=(8, 8), solver="sgd", activation="tanh",
                           max_iter=30, learning_rate_init=0.05, random_state=0)]


def expected_failed_checks(estimator):
    """None: every check of scikit-learn's suite passes (array API input is skipped by
    scikit-learn itself unless SCIPY_ARRAY_API is set)."""
    return {}


@parametrize_with_checks(CHECKED, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def blob_data(n=150, seed=0):
    x, y = blobs(n, n_features=6, n_classes=3, seed=seed)
    return x.astype(np.float64), y


def labelled(y):
    return np.array(["ankle boot", "bag", "coat"], dtype=object)[y]


def small(**kwargs):
    return TelarClassifier(**{"hidden_layer_sizes": (16,), "max_iter": 20,
                              "learning_rate_init": 0.01, "random_state": 0, **kwargs})


def test_string_labels_come_back_from_predict_and_probabilities_follow_classes():
    x, y = blob_data()
    clf = small().fit(x, labelled(y))
    assert list(clf.classes_) == ["ankle boot", "bag", "coat"]
    proba = clf.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert list(clf.predict(x[:20])) == list(clf.classes_[proba[:20].argmax(axis=1)])
    assert clf.score(x, labelled(y)) > 0.9
    assert clf.n_features_in_ == 6 and clf.n_iter_ == 20 and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.t_ == 20 * len(x)


def test_init_only_stores_and_fit_names_the_bad_parameter():
    clf = TelarClassifier(solver="lbfgs", alpha=-1)  # no error yet: scikit-learn's convention
    x, y = blob_data(30)
    with pytest.raises(ValueError, match=r"TelarClassifier: solver: expected one of .*"
                                         r"got 'lbfgs'"):
        clf.fit(x, y)
    with pytest.raises(ValueError, match="alpha: expected a number >= 0, got -1"):
        TelarClassifier(alpha=-1).fit(x, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes: expected"):
        TelarClassifier(hidden_layer_sizes=(16, 0)).fit(x, y)


def test_wrong_width_nan_and_sparse_input_give_scikit_learns_errors():
    x, y = blob_data(60)
    clf = small(max_iter=2).fit(x, y)
    with pytest.raises(ValueError, match="X has 5 features, but TelarClassifier is expecting "
                                         "6 features as input"):
        clf.predict(x[:, :5])
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        small().fit(bad, y)
    from scipy import sparse
    with pytest.raises(TypeError, match="dense data is required"):
        clf.predict(sparse.csr_matrix(x))


def test_a_read_only_memmap_is_read_and_the_callers_arrays_are_never_written(tmp_path):
    x, y = blob_data(80)
    x32 = x.astype(np.float32)
    path = tmp_path / "x.npy"
    np.save(path, x32)
    mapped = np.load(path, mmap_mode="r")
    before = x32.copy(), y.copy()
    clf = small(max_iter=3).fit(mapped, y)
    clf.partial_fit(x32, y)
    clf.predict(mapped)
    clf2 = small(max_iter=3).fit(x32, y)  # float32: used without a copy, and not written
    np.testing.assert_array_equal(x32, before[0])
    np.testing.assert_array_equal(y, before[1])
    np.testing.assert_array_equal(np.asarray(mapped), before[0])
    np.testing.assert_array_equal(clf.predict(x32), clf.predict(mapped))
    assert clf2.n_iter_ == 3


def test_pipeline_cross_val_score_and_clone():
    x, y = blob_data(120)
    pipe = make_pipeline(StandardScaler(), small(max_iter=10)).fit(x, y)
    assert pipe.score(x, y) > 0.8
    scores = cross_val_score(small(max_iter=10), x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.7
    fitted = small().fit(x, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "classes_")


@pytest.mark.slow  # two worker processes start and import telar and scikit-learn
def test_grid_search_over_a_pipeline_on_two_processes():
    x, y = blob_data(120)
    pipe = make_pipeline(StandardScaler(), small(max_iter=10))
    search = GridSearchCV(pipe, {"telarclassifier__hidden_layer_sizes": [(4,), (16,)]},
                          cv=2, n_jobs=2).fit(x, y)
    assert search.best_params_["telarclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.score(x, y) > 0.8


def test_fits_with_the_same_random_state_agree_and_other_states_differ():
    x, y = blob_data(60)
    a, b = small(max_iter=3).fit(x, y), small(max_iter=3).fit(x, y)
    c = small(max_iter=3, random_state=1).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    assert not np.array_equal(a.predict_proba(x), c.predict_proba(x))


def test_partial_fit_needs_classes_first_then_runs_one_epoch_per_call():
    x, y = blob_data(90)
    clf = small()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(x, y)
    clf.partial_fit(x[:45], y[:45], classes=[0, 1, 2])
    clf.partial_fit(x[45:], y[45:])
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="is not the same as on last call"):
        clf.partial_fit(x, y, classes=[0, 1])
    with pytest.raises(ValueError, match="X has 4 features"):
        clf.partial_fit(x[:, :4], y)
    for _ in range(10):
        clf.partial_fit(x, y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_warm_start_continues_the_same_network_and_optimiser():
    x, y = blob_data(90)
    once = small(max_iter=6).fit(x, y)
    twice = small(max_iter=3, warm_start=True).fit(x, y).fit(x, y)
    cold = small(max_iter=3, warm_start=False).fit(x, y).fit(x, y)
    assert twice.n_iter_ == 6 and len(twice.loss_curve_) == 6 and cold.n_iter_ == 3
    # the epochs 4-6 of a warm restart are the epochs 4-6 of one fit: same shuffles, moments
    np.testing.assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(twice.predict_proba(x), once.predict_proba(x), rtol=1e-5)
    with pytest.raises(ValueError, match="same classes"):
        twice.fit(x[y < 2], y[y < 2])


def test_early_stopping_holds_out_a_validation_set_and_reports_its_accuracy():
    x, y = blob_data(200)
    clf = small(early_stopping=True, max_iter=200, n_iter_no_change=2, tol=0.0).fit(x, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_ < 200  # stopped early
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(s in {k / 20 for k in range(21)} for s in clf.validation_scores_)  # 20 held out


def test_without_early_stopping_training_stops_when_the_loss_stalls():
    x, y = blob_data(90)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = small(max_iter=500, tol=10.0, n_iter_no_change=3).fit(x, y)
    assert clf.n_iter_ == 5  # epoch 1 sets the best; 2..5 fail to beat it by tol: 4 > 3
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\) reached"):
        small(max_iter=2).fit(x, y)


def test_a_layers_network_of_convolutions_takes_784_columns_as_28x28_images():
    images, labels = synthetic_images(120, seed=0, n_classes=3)
    x = images.reshape(len(images), 784).astype(np.float32) / 255
    clf = TelarClassifier(layers="conv(4,3,pad=1) relu maxpool(2) flatten linear(3)",
                          max_iter=3, learning_rate_init=0.01, random_state=0).fit(x, labels)
    assert clf.predict_proba(x).shape == (120, 3)
    assert clf._learner.model.layers[0] == {"layer": "unflatten", "shape": [1, 28, 28]}
    with pytest.raises(ValueError, match=r"gives outputs of shape \[10\], but y has 3 classes"):
        TelarClassifier(layers="flatten linear(10)").fit(x, labels)
    with pytest.raises(ValueError, match="not a square number; give input_shape"):
        TelarClassifier(layers="conv(4,3) flatten linear(3)").fit(x[:, :780], labels)


def numpy_globals(stream: bytes) -> list[str]:
    """Every module.name the pickle stream would import (GLOBAL / STACK_GLOBAL) that is
    NumPy's: what unpickling an ndarray or a NumPy scalar needs."""
    names, strings = [], []
    for op, arg, _ in pickletools.genops(io.BytesIO(stream)):
        if isinstance(arg, str):
            strings.append(arg)
        if op.name == "GLOBAL":
            names.append(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL":
            names.append(".".join(strings[-2:]))
    return [n for n in names if n.startswith("numpy")]


def test_pickling_stores_weights_as_telar_file_bytes_and_predicts_the_same():
    x, y = blob_data(90)
    clf = small(max_iter=5).fit(x, labelled(y))
    stream = pickle.dumps(clf)
    assert numpy_globals(pickle.dumps(np.zeros(2))) != []  # the scan sees arrays when there
    assert numpy_globals(stream) == []
    assert b"__telar__" in pickle.loads(stream).__getstate__()["_telar_fitted"]
    back = pickle.loads(stream)
    np.testing.assert_array_equal(back.predict_proba(x), clf.predict_proba(x))
    assert list(back.predict(x)) == list(clf.predict(x)) and back.classes_.dtype == object
    assert back.loss_curve_ == clf.loss_curve_ and back.n_iter_ == 5
    # the optimiser's moments came back too: one more epoch on each gives the same weights
    clf.partial_fit(x, labelled(y))
    back.partial_fit(x, labelled(y))
    np.testing.assert_array_equal(back.predict_proba(x), clf.predict_proba(x))
    unfitted = pickle.loads(pickle.dumps(small()))
    assert unfitted.get_params() == small().get_params()


def test_unpickling_refuses_bytes_that_are_not_a_telar_file():
    x, y = blob_data(30)
    state = small(max_iter=1).fit(x, y).__getstate__()
    clf = TelarClassifier.__new__(TelarClassifier)
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelFileError, match="the pickled TelarClassifier: not a telar"):
        clf.__setstate__({**state, "_telar_fitted": buffer.getvalue()})
    corrupt = bytearray(state["_telar_fitted"])
    corrupt[len(corrupt) // 2] ^= 0xFF
    with pytest.raises(ModelFileError, match="the pickled TelarClassifier"):
        clf.__setstate__({**state, "_telar_fitted": bytes(corrupt)})


def test_verbose_prints_one_line_per_epoch(capsys):
    x, y = blob_data(60)
    small(max_iter=3, verbose=True).fit(x, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "train loss" in lines[0]
