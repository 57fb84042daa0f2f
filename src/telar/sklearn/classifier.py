"""``TelarClassifier``: a scikit-learn classifier trained by telar's own loop.

It speaks ``MLPClassifier``'s names (``hidden_layer_sizes``, ``activation``, ``solver``,
``alpha``, ``batch_size``, ``learning_rate_init``, ``max_iter``, ``tol``, ``early_stopping``,
``validation_fraction``, ``n_iter_no_change``, ``random_state``, ``warm_start``, ``verbose``
and the optimiser's ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``, ``epsilon``)
and adds ``layers=`` for any ``--layers`` network. Training is telar's: the network and
optimiser of :mod:`telar.sklearn.network`, a :class:`~telar.train.ModuleLearner`, the
:class:`~telar.train.Trainer` loop (seeded shuffling per epoch) and ``MLPClassifier``'s
stopping rule as a callback (:mod:`telar.sklearn.stopping`). Each epoch minimises the mean
cross-entropy of a batch plus the L2 penalty::

    loss = -mean_i log softmax(z_i)[y_i] + 0.5 * alpha * ||W||^2 / batch_size

scikit-learn's conventions hold: ``__init__`` only stores the parameters; ``fit`` checks them
(a bad one is a ``ValueError`` naming it) and the data (:func:`sklearn.utils.validation.
validate_data`: the usual errors for a wrong width, NaN, sparse input), never writes into the
caller's arrays; fitted state sits in attributes ending in ``_``.

>>> clf = TelarClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0)
>>> clf.fit([[0., 0.], [1., 1.], [0., 1.], [1., 0.]] * 8, [0, 1, 1, 0] * 8).n_iter_ > 0
True
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from telar.app.evaluation import evaluate
from telar.constraints import (
    BATCH_SIZE,
    EPOCHS,
    LEARNING_RATE,
    MOMENTUM,
    SHAPE,
    WIDTH,
    Boolean,
    Constraint,
    Either,
    Integer,
    ListOf,
    Number,
    OneOf,
    Optional,
)
from telar.engine.activations import softmax_array
from telar.errors import ConfigError
from telar.sklearn.network import (
    ACTIVATION_CHOICES,
    SOLVERS,
    build_network,
    build_optimizer,
    network_spec,
)
from telar.sklearn.state import dump_fitted, load_fitted
from telar.sklearn.stopping import NoImprovementStop
from telar.train import ModuleLearner, ProgressBar, Trainer, TrainState


class InvalidParameterError(ConfigError, ValueError):
    """A parameter outside its rule: a ``ValueError`` (scikit-learn's convention) that is also
    telar's one-line :class:`~telar.errors.ConfigError`."""


#: Each parameter's rule (:mod:`telar.constraints`), checked by ``fit`` / ``partial_fit``.
PARAMETERS: dict[str, Constraint] = {
    "hidden_layer_sizes": ListOf(WIDTH, noun="layer width"),
    "activation": OneOf(ACTIVATION_CHOICES),
    "solver": OneOf(SOLVERS),
    "alpha": Number(0),
    "batch_size": Either(OneOf(("auto",)), BATCH_SIZE),
    "learning_rate_init": LEARNING_RATE,
    "max_iter": EPOCHS,
    "tol": Number(0),
    "momentum": MOMENTUM,
    "nesterovs_momentum": Boolean(),
    "early_stopping": Boolean(),
    "validation_fraction": Number(0, 1, low_open=True, high_open=True),
    "beta_1": Number(0, 1, high_open=True),
    "beta_2": Number(0, 1, high_open=True),
    "epsilon": Number(0, low_open=True),
    "n_iter_no_change": Integer(min=1),
    "warm_start": Boolean(),
    "verbose": Either(Boolean(), Integer(min=0)),
    "input_shape": Optional(SHAPE),
}
#: Rows per forward pass in ``predict_proba`` (memory stays small on big inputs).
PREDICT_CHUNK = 4096


class TelarClassifier(ClassifierMixin, BaseEstimator):
    """A neural-network classifier with ``MLPClassifier``'s parameters, trained by telar.

    Parameters (``MLPClassifier``'s meaning unless said):
        hidden_layer_sizes: widths of the hidden layers, ``(100,)``.
        activation: ``relu``, ``tanh``, ``logistic``, ``identity`` (and telar's ``gelu``,
            ``elu``, ``leaky_relu``, ``sigmoid``).
        solver: ``adam``, ``sgd`` (with ``momentum``, ``nesterovs_momentum``), or telar's
            ``adamw``, ``rmsprop``, ``adagrad``, ``adadelta``.
        alpha: L2 penalty ``0.5 * alpha * ||W||^2 / batch_size`` on the weights.
        batch_size: ``"auto"`` is ``min(200, n_samples)``.
        learning_rate_init, max_iter (epochs), tol, n_iter_no_change, early_stopping,
        validation_fraction, beta_1, beta_2, epsilon, random_state, warm_start, verbose.
        layers: a ``--layers`` network (text or list), replacing the hidden layers; it must
            end with one score per class (``... flatten linear(10)``).
        input_shape: the per-sample shape for a ``layers`` network that starts on images
            (default ``(1, s, s)`` for ``s*s`` columns: 784 -> ``(1, 28, 28)``).

    Attributes:
        classes_, n_features_in_, feature_names_in_ (for a DataFrame with text column
        names), loss_curve_ (mean training cross-entropy per epoch, penalty excluded),
        validation_scores_ (validation accuracy per epoch with ``early_stopping``, else
        None), best_loss_ (None with ``early_stopping``), best_validation_score_,
        n_iter_ (epochs run, over all calls), t_ (training samples seen).
    """

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 solver: str = "adam", alpha: float = 0.0001, batch_size: Any = "auto",
                 learning_rate_init: float = 0.001, max_iter: int = 200,
                 tol: float = 1e-4, momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: int = 10, random_state: Any = None,
                 warm_start: bool = False, verbose: bool = False, layers: Any = None,
                 input_shape: Any = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.layers = layers
        self.input_shape = input_shape

    # ----------------------------------------------------------------------- parameters
    def _checked_params(self) -> dict[str, Any]:
        """Every parameter checked by its rule (:data:`PARAMETERS`) and in canonical form."""
        checked: dict[str, Any] = {}
        try:
            for name, rule in PARAMETERS.items():
                value = getattr(self, name)
                if name == "hidden_layer_sizes":
                    value = [value] if isinstance(value, int | np.integer) else value
                    value = list(value) if isinstance(value, list | tuple | np.ndarray) \
                        else value
                elif name == "input_shape" and isinstance(value, tuple | np.ndarray):
                    value = list(value)
                checked[name] = rule.check(value, name)
            if self.layers is not None and not isinstance(self.layers, str | list | tuple):
                raise ConfigError(f"layers: expected a layer list (text or list), got "
                                  f"{type(self.layers).__name__}")
        except ConfigError as exc:
            raise InvalidParameterError(f"{type(self).__name__}: {exc}") from None
        check_random_state(self.random_state)  # scikit-learn's own error for a bad one
        return checked

    # ----------------------------------------------------------------------- fitting
    def fit(self, X: Any, y: Any) -> TelarClassifier:
        """Train for up to ``max_iter`` epochs (more epochs after the last fit with
        ``warm_start``); returns ``self``."""
        params = self._checked_params()
        continuing = params["warm_start"] and hasattr(self, "_learner")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if continuing and not np.array_equal(classes, self.classes_):
            raise ValueError(f"warm_start can only be used where `y` has the same classes as "
                             f"in the previous call to fit. Previously got {self.classes_}, "
                             f"`y` has {classes}")
        if continuing and X.shape[1] != self._n_features:
            raise ValueError(f"X has {X.shape[1]} features, but the network was fitted "
                             f"with {self._n_features} (warm_start)")
        if not continuing:
            self.classes_ = classes
            self._start(params, X.shape[1], len(X))
        self._train(params, X, y, epochs=params["max_iter"],
                    early_stopping=params["early_stopping"])
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> TelarClassifier:
        """One epoch over ``(X, y)``; ``classes`` (every label there will ever be) is
        required on the first call."""
        params = self._checked_params()
        first = not hasattr(self, "_learner")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        check_classification_targets(y)
        if first:
            self.classes_ = np.unique(classes)
            self._start(params, X.shape[1], len(X))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={np.unique(classes)}` is not the same as on last call "
                             f"to partial_fit, was: {self.classes_}")
        self._train(params, X, y, epochs=1, early_stopping=False, incremental=True)
        return self

    def _start(self, params: dict[str, Any], n_features: int, n_samples: int) -> None:
        """A fresh network, optimiser and training state (a first fit, or no warm start)."""
        self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        self._n_features = n_features
        try:
            self._spec = network_spec(
                layers=self.layers, hidden=params["hidden_layer_sizes"],
                activation=params["activation"], n_features=n_features,
                n_classes=len(self.classes_), input_shape=params["input_shape"],
                seed=self._seed)
        except ConfigError as exc:
            raise InvalidParameterError(f"{type(self).__name__}: {exc}") from None
        batch = params["batch_size"]
        self._optimizer_config = {
            "solver": params["solver"], "learning_rate": params["learning_rate_init"],
            "alpha": params["alpha"],
            "batch_size": min(200, n_samples) if batch == "auto" else min(batch, n_samples),
            "momentum": params["momentum"], "nesterov": params["nesterovs_momentum"],
            "betas": (params["beta_1"], params["beta_2"]), "epsilon": params["epsilon"]}
        self._learner = self._new_learner()
        self._train_state = TrainState(epochs=0)
        self._stop_state = {"best_loss": math.inf, "best_score": -math.inf, "counter": 0}
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = [] if params["early_stopping"] else None
        self.best_loss_: float | None = None if params["early_stopping"] else math.inf
        self.best_validation_score_: float | None = \
            -math.inf if params["early_stopping"] else None
        self.n_iter_ = 0
        self.t_ = 0

    def _new_learner(self) -> ModuleLearner:
        model = build_network(self._spec)
        return ModuleLearner(model, build_optimizer(model, **self._optimizer_config))

    def _train(self, params: dict[str, Any], X: np.ndarray, y: Any, *, epochs: int,
               early_stopping: bool, incremental: bool = False) -> None:
        """Run telar's loop for ``epochs`` more epochs and record what it did."""
        labels = np.searchsorted(self.classes_, y)
        labels = np.minimum(labels, len(self.classes_) - 1)
        unknown = self.classes_[labels] != y
        if np.any(unknown):
            raise ValueError(f"y holds labels not in classes_ {self.classes_}: "
                             f"{np.unique(np.asarray(y)[unknown])}")
        x = np.asarray(X, dtype=np.float32)  # a copy unless float32; never written to
        labels = labels.astype(np.int64)
        eval_set = None
        if early_stopping:
            stratify = labels if len(self.classes_) > 1 else None
            x, x_val, labels, y_val = train_test_split(
                x, labels, test_size=params["validation_fraction"], random_state=self._seed,
                stratify=stratify)
            if len(x_val) < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            eval_set = (x_val, y_val)
        stop = NoImprovementStop(tol=params["tol"], n_iter_no_change=params["n_iter_no_change"],
                                 early_stopping=early_stopping, **self._stop_state)
        callbacks: list[Any] = [stop]
        if params["verbose"]:
            callbacks.append(ProgressBar(sys.stdout, enabled=False))
        state = self._train_state
        state.stopped, state.stop_reason = False, ""
        before = state.epoch
        trainer = Trainer(self._learner, (x, labels), eval_set, epochs=state.epoch + epochs,
                          batch_size=self._optimizer_config["batch_size"], seed=self._seed,
                          callbacks=callbacks, state=state,
                          score=evaluate if eval_set is not None else None)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trainer.fit()
        ran = state.epoch - before
        self.loss_curve_ += [float(row["train_loss"]) for row in state.history[before:]]
        self.n_iter_ = state.epoch
        self.t_ += ran * len(x)
        self._stop_state = stop.state()
        if early_stopping:
            self.validation_scores_ = [*(self.validation_scores_ or []), *stop.scores]
            self.best_validation_score_ = float(stop.best_score)
            self.best_loss_ = None
        else:
            self.best_loss_ = float(stop.best_loss)
        if not incremental and not state.stopped:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({epochs}) reached and "
                          "the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)

    # ----------------------------------------------------------------------- predicting
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order:
        ``softmax(z)_k = exp(z_k - max z) / sum_j exp(z_j - max z)``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        x = np.asarray(X, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, len(self.classes_)))
        logits = np.concatenate([self._learner.logits(x[i:i + PREDICT_CHUNK])
                                 for i in range(0, len(x), PREDICT_CHUNK)])
        return softmax_array(logits.astype(np.float64), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row, as the labels of ``classes_``."""
        probabilities = self.predict_proba(X)  # first: NotFittedError before classes_ is read
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_learner")

    # ----------------------------------------------------------------------- pickling
    #: Fitted attributes that travel inside the telar file of :func:`__getstate__`.
    _FITTED = ("classes_", "n_features_in_", "feature_names_in_", "loss_curve_",
               "validation_scores_", "best_loss_", "best_validation_score_", "n_iter_", "t_",
               "_seed", "_n_features", "_spec", "_optimizer_config", "_stop_state")

    def __getstate__(self) -> dict[str, Any]:
        """The parameters as they are; everything fitted (weights, optimiser state, the
        fitted attributes) as the bytes of a telar file (:mod:`telar.sklearn.state`)."""
        state = dict(super().__getstate__())  # object.__getstate__ gives __dict__ itself
        learner = state.pop("_learner", None)
        train_state = state.pop("_train_state", None)
        if learner is None:
            return state
        meta = {name: state.pop(name) for name in self._FITTED if name in state}
        meta["_train_state"] = train_state.to_json()
        meta["_learner_json"] = learner.state_json()
        state["_telar_fitted"] = dump_fitted(meta, learner.state_arrays())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`__getstate__`: the network and optimiser rebuilt from the spec,
        then loaded from the telar file (ModelFileError for bytes that are not one)."""
        state = dict(state)
        data = state.pop("_telar_fitted", None)
        super().__setstate__(state)
        if data is None:
            return
        meta, arrays = load_fitted(data)
        train_state = TrainState.from_json(meta.pop("_train_state"))
        learner_json = meta.pop("_learner_json")
        for name, value in meta.items():
            setattr(self, name, value)
        self._optimizer_config["betas"] = tuple(self._optimizer_config["betas"])
        self._learner = self._new_learner()
        self._learner.load_state_arrays(arrays)
        self._learner.load_state_json(learner_json)
        self._train_state = train_state
