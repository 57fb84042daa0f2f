"""From a :class:`~telar.app.runs.config.TrainConfig` to a learner: either engine, any dense net.

``--engine handwritten`` is the report's network with backprop written by hand
(:class:`telar.train.HandwrittenLearner`); ``--engine autograd`` is a
:class:`telar.nn.DenseNet` in a :class:`telar.train.ModuleLearner`. Both get their optimiser
and schedule from :mod:`telar.optim.registry`. For the report's network the autograd engine
starts from the very weights the hand-written one draws, so the two give the same numbers up to
float rounding.
"""

from __future__ import annotations

import math

from telar.app.runs.config import TrainConfig
from telar.optim.registry import OPTIMIZERS, RunLength, build_schedule
from telar.train import HandwrittenLearner, Learner, ModuleLearner


def is_report_network(config: TrainConfig) -> bool:
    """True when the network is the report's kind: plain ReLU layers, the report's init."""
    return (config.activation == "relu" and config.init == "xavier_report"
            and not config.dropout and not config.batch_norm)


def run_length(config: TrainConfig, n_train: int) -> RunLength:
    per_epoch = 1 if config.full_batch else math.ceil(n_train / config.batch_size)
    return RunLength(config.epochs, per_epoch, config.warmup)


def build_learner(config: TrainConfig, *, n_inputs: int, n_classes: int,
                  n_train: int) -> Learner:
    """The learner ``config`` describes, for ``n_train`` training samples."""
    from telar.handwritten import HandwrittenNetwork
    from telar.nn import DenseNet, LayerNet
    from telar.nn.layer_net import on_flat_rows

    sizes = [n_inputs, *config.hidden, n_classes]
    if config.engine == "handwritten":
        learner: Learner = HandwrittenLearner(HandwrittenNetwork(sizes, seed=config.seed))
        params = [learner.parameter]  # the whole network is one flat parameter
    elif config.layers:
        model = LayerNet({"layers": on_flat_rows(config.layers), "input_shape": [n_inputs],
                          "seed": config.seed})
        learner = ModuleLearner(model, None, label_smoothing=config.label_smoothing,
                                clip_grad=config.clip_grad)
        params = list(model.parameters())
    else:
        model = DenseNet({"input_size": n_inputs, "hidden": list(config.hidden),
                          "classes": n_classes, "activation": config.activation,
                          "init": config.init, "dropout": config.dropout,
                          "batch_norm": config.batch_norm, "seed": config.seed})
        if is_report_network(config):
            model.load_report_weights(HandwrittenNetwork(sizes, seed=config.seed))
        learner = ModuleLearner(model, None, label_smoothing=config.label_smoothing,
                                clip_grad=config.clip_grad)
        params = list(model.parameters())
    optimizer = OPTIMIZERS[config.optimizer].build(params, lr=config.lr,
                                                   weight_decay=config.weight_decay,
                                                   momentum=config.momentum)
    scheduler, every = build_schedule(config.schedule, optimizer, run_length(config, n_train))
    learner.attach_optimizer(optimizer, scheduler, every)
    return learner
