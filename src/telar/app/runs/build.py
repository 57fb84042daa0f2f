"""From a :class:`~telar.app.runs.config.TrainConfig` to a learner: either engine, any network.

The configuration becomes a network description (:func:`network_description`: the report's
network for ``--engine handwritten``, the layer list of ``--layers``, else the dense spec of
``--hidden/--activation/--init/--dropout/--batch-norm``), which the architecture registry
(:mod:`telar.app.architectures`) checks and builds; model files store the same description.
``--engine handwritten`` trains it with backprop written by hand
(:class:`telar.train.HandwrittenLearner`), ``--engine autograd`` in a
:class:`telar.train.ModuleLearner`. Both get their optimiser and schedule from
:mod:`telar.optim.registry`. For the report's network the autograd engine starts from the very
weights the hand-written one draws, so the two give the same numbers up to float rounding.
"""

from __future__ import annotations

import math
from typing import Any

from telar.app import architectures
from telar.app.runs.config import TrainConfig
from telar.engine.devices import device
from telar.errors import ConfigError
from telar.nn.layer_net import on_flat_rows
from telar.optim.registry import OPTIMIZERS, RunLength, build_schedule
from telar.train import HandwrittenLearner, Learner, ModuleLearner


def is_report_network(config: TrainConfig) -> bool:
    """True when the network is the report's kind: plain ReLU layers, the report's init."""
    return (config.activation == "relu" and config.init == "xavier_report"
            and not config.dropout and not config.batch_norm)


def run_length(config: TrainConfig, n_train: int) -> RunLength:
    per_epoch = 1 if config.full_batch else math.ceil(n_train / config.batch_size)
    return RunLength(config.epochs, per_epoch, config.warmup)


def network_description(config: TrainConfig, *, n_inputs: int, n_classes: int
                        ) -> dict[str, Any]:
    """The architecture (``{"kind": ..., ...}``) ``config`` trains, seeded by ``config.seed``."""
    if config.engine == "handwritten":
        return {"kind": "handwritten", "sizes": [n_inputs, *config.hidden, n_classes],
                "seed": config.seed}
    if config.layers:
        return {"kind": "layers", "layers": on_flat_rows(config.layers),
                "input_shape": [n_inputs], "seed": config.seed}
    return {"kind": "mlp", "input_size": n_inputs, "hidden": list(config.hidden),
            "classes": n_classes, "activation": config.activation, "init": config.init,
            "dropout": config.dropout, "batch_norm": config.batch_norm, "seed": config.seed}


def build_learner(config: TrainConfig, *, n_inputs: int, n_classes: int,
                  n_train: int, on: device | None = None) -> Learner:
    """The learner ``config`` describes, for ``n_train`` training samples, its network on
    device ``on`` (default: the CPU). Weights are drawn on the host first, so a seed gives
    the same initial network on every device; the network moves before its optimiser is
    built (the optimiser's state then lives on the same device)."""
    description = network_description(config, n_inputs=n_inputs, n_classes=n_classes)
    if on is not None and on.type != "cpu" and description["kind"] == "handwritten":
        raise ConfigError(f"--device {on}: the hand-written engine runs on the CPU only; "
                          "train the same network on the GPU with --engine autograd")
    if description["kind"] == "layers":  # a layer list must end in one score per class
        entry, checked = architectures.describe(description, "the network")
        outputs = entry.widths(checked)[1]
        if outputs != n_classes:
            given = f"{outputs} scores" if outputs is not None else "a non-flat output"
            raise ConfigError(f"--layers: the network ends with {given} per image, the data "
                              f"has {n_classes} classes: end it with linear({n_classes})")
    network = architectures.build(description, "the network")
    batch = n_train if config.full_batch else min(config.batch_size, n_train)
    architectures.check_batch(description, batch,
                              "--full-batch" if config.full_batch else "--batch-size")
    if description["kind"] == "handwritten":
        learner: Learner = HandwrittenLearner(network)
        params = [learner.parameter]  # the whole network is one flat parameter
    else:
        if description["kind"] == "mlp" and is_report_network(config):
            sizes = [n_inputs, *config.hidden, n_classes]
            network.load_report_weights(architectures.build(
                {"kind": "handwritten", "sizes": sizes, "seed": config.seed}))
        if on is not None:
            network.to(on)
        learner = ModuleLearner(network, None, label_smoothing=config.label_smoothing,
                                clip_grad=config.clip_grad)
        params = list(network.parameters())
    optimizer = OPTIMIZERS[config.optimizer].build(params, lr=config.lr,
                                                   weight_decay=config.weight_decay,
                                                   momentum=config.momentum)
    scheduler, every = build_schedule(config.schedule, optimizer, run_length(config, n_train))
    learner.attach_optimizer(optimizer, scheduler, every)
    return learner
