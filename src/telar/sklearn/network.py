"""What :class:`~telar.sklearn.TelarClassifier` trains: a telar layer network and optimiser.

The network is a :class:`~telar.nn.LayerNet`, either ``MLPClassifier``'s ::

    per hidden width w:  linear(w), activation          then  linear(n_classes)

(``xavier_uniform`` weights, as scikit-learn's Glorot initialisation; ``identity`` puts no
activation layer), or any ``--layers`` list (``layers=``), whose last layer must give one score
per class. A list that starts on images (``conv``, pooling...) gets ``unflatten`` first, so it
takes scikit-learn's flat rows: 784 columns become ``(1, 28, 28)`` (any square width ``s*s``
becomes ``(1, s, s)``; ``input_shape`` says otherwise).

``alpha`` is ``MLPClassifier``'s L2 penalty ``0.5 * alpha * ||W||^2 / batch_size`` on the
weights (not the biases): its gradient ``alpha / batch_size * W`` is the optimiser's coupled
``weight_decay`` on a parameter group holding the weights only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from telar.errors import ConfigError
from telar.nn.grammar import layers_to_text, normalise_layers
from telar.nn.layer_net import IMAGE_LAYERS, LayerNet, infer_shapes
from telar.optim.adam import Adam
from telar.optim.registry import OPTIMIZERS
from telar.optim.sgd import SGD

#: ``MLPClassifier``'s activation names -> telar's layer (``None``: no layer).
MLP_ACTIVATIONS: dict[str, str | None] = {"identity": None, "logistic": "sigmoid",
                                          "tanh": "tanh", "relu": "relu"}
#: Every name ``activation=`` takes: scikit-learn's, then telar's own.
ACTIVATION_CHOICES: tuple[str, ...] = (*MLP_ACTIVATIONS, "sigmoid", "leaky_relu", "elu", "gelu")
#: ``solver=``: telar's optimisers (scikit-learn's ``lbfgs`` is not one).
SOLVERS: tuple[str, ...] = tuple(OPTIMIZERS)


def mlp_layers(hidden: Sequence[int], activation: str, n_classes: int) -> list[dict[str, Any]]:
    """``MLPClassifier``'s network as a canonical layer list (see the module doc)."""
    name = MLP_ACTIVATIONS.get(activation, activation)
    layers: list[dict[str, Any]] = []
    for width in hidden:
        layers.append({"layer": "linear", "out": int(width), "init": "xavier_uniform"})
        if name is not None:
            layers.append({"layer": name})
    layers.append({"layer": "linear", "out": n_classes, "init": "xavier_uniform"})
    return normalise_layers(layers)


def image_shape(n_features: int, input_shape: Sequence[int] | None) -> tuple[int, ...]:
    """The per-sample shape image layers see: ``input_shape``, else ``(1, s, s)`` for
    ``n_features = s*s``; ConfigError when neither fits."""
    if input_shape is not None:
        shape = tuple(int(v) for v in input_shape)
        if math.prod(shape) != n_features:
            raise ConfigError(f"input_shape: expected {n_features} values per sample (the "
                              f"width of X), got {list(shape)}")
        return shape
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ConfigError(f"layers: the network starts on images but X has {n_features} "
                          "columns, not a square number; give input_shape=(C, H, W)")
    return (1, side, side)


def network_spec(*, layers: str | Sequence[Any] | None, hidden: Sequence[int],
                 activation: str, n_features: int, n_classes: int,
                 input_shape: Sequence[int] | None, seed: int) -> dict[str, Any]:
    """The :class:`LayerNet` spec on flat rows of ``n_features``; ConfigError when a
    ``layers=`` list does not end with ``n_classes`` scores."""
    if layers is None:
        return {"layers": mlp_layers(hidden, activation, n_classes),
                "input_shape": [n_features], "seed": seed}
    canonical = normalise_layers(layers)
    if canonical and canonical[0]["layer"] in IMAGE_LAYERS:
        shape = image_shape(n_features, input_shape)
        canonical = normalise_layers([{"layer": "unflatten", "shape": list(shape)},
                                      *canonical])
    out = infer_shapes(canonical, (n_features,))[-1] if canonical else (n_features,)
    if out != (n_classes,):
        raise ConfigError(f"layers: {layers_to_text(canonical)!r} gives outputs of shape "
                          f"{list(out)}, but y has {n_classes} classes (end the list with "
                          f"linear({n_classes}))")
    return {"layers": canonical, "input_shape": [n_features], "seed": seed}


def build_network(spec: dict[str, Any]) -> LayerNet:
    return LayerNet(spec)


def build_optimizer(model: LayerNet, *, solver: str, learning_rate: float, alpha: float,
                    batch_size: int, momentum: float, nesterov: bool,
                    betas: tuple[float, float], epsilon: float) -> Any:
    """The ``solver`` over two groups: the weights (``ndim > 1``) with weight decay
    ``alpha / batch_size``, the biases and batch-norm parameters without."""
    params = list(model.parameters())
    decay = alpha / batch_size
    groups = [{"params": [p for p in params if p.ndim > 1], "weight_decay": decay},
              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if solver == "adam":
        return Adam(groups, lr=learning_rate, betas=betas, eps=epsilon)
    if solver == "sgd":
        return SGD(groups, lr=learning_rate, momentum=momentum,
                   nesterov=nesterov and momentum > 0)
    entry = OPTIMIZERS[solver]
    return entry.cls(groups, lr=learning_rate,
                     **({"momentum": momentum} if entry.takes_momentum else {}))
