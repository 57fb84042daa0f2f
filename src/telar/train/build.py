"""From a :class:`~telar.train.config.TrainConfig` to a learner: either engine, any dense net.

``--engine manual`` is the report's hand-written network (:class:`telar.seed.SeedLearner`);
``--engine autograd`` is ``telar.nn.build_mlp`` + a ``telar.optim`` optimiser and schedule in a
:class:`~telar.train.module_learner.ModuleLearner`. For the report's network the autograd engine
starts from the very weights the hand-written one draws, so the two give the same numbers up to
float rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from telar.seed import SeedLearner
from telar.train.config import MANUAL_ENGINE_FIXED, TrainConfig
from telar.train.module_learner import ModuleLearner


class ReportLearner(SeedLearner):
    """The seed learner plus what the run needs: its lr, and weights-only model arrays."""

    @property
    def lr(self) -> float:
        return float(self.adam.lr)

    def num_parameters(self) -> int:
        return int(self.network.num_parameters)

    def model_arrays(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.state_arrays().items() if k.startswith(("weight", "bias"))}


def is_report_network(config: TrainConfig) -> bool:
    """True when the configuration is a plain ReLU network with the report's init and Adam."""
    return all(getattr(config, k) == v for k, v in MANUAL_ENGINE_FIXED.items())


def build_learner(config: TrainConfig, *, n_inputs: int, n_classes: int,
                  n_train: int) -> Any:
    """The learner ``config`` describes, for ``n_train`` training samples."""
    sizes = [n_inputs, *config.hidden, n_classes]
    if config.engine == "manual":
        return ReportLearner.from_spec({"kind": "seed", "sizes": sizes}, seed=config.seed,
                                       lr=config.lr)
    return build_module_learner(config, n_inputs=n_inputs, n_classes=n_classes,
                                n_train=n_train)


def build_module_learner(config: TrainConfig, *, n_inputs: int, n_classes: int,
                         n_train: int) -> ModuleLearner:
    from telar import optim
    from telar.nn import Linear, build_mlp
    from telar.seed import SeedNetwork

    spec = {"input_size": n_inputs, "hidden": list(config.hidden), "classes": n_classes,
            "activation": config.activation, "init": config.init, "dropout": config.dropout,
            "batch_norm": config.batch_norm, "seed": config.seed}
    model = build_mlp(spec)
    if is_report_network(config):
        # Same initial weights as the hand-written engine (its W is (n_in, n_out)).
        seed_net = SeedNetwork([n_inputs, *config.hidden, n_classes], seed=config.seed)
        linears = [m for m in model.modules() if isinstance(m, Linear)]
        for layer, w, b in zip(linears, seed_net.weights, seed_net.biases, strict=True):
            layer.weight.data[...] = w.T
            layer.bias.data[...] = b
    params = list(model.parameters())
    wd = config.weight_decay
    if config.optimizer == "sgd":
        optimizer = optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    elif config.optimizer == "rmsprop":
        optimizer = optim.RMSprop(params, lr=config.lr, momentum=config.momentum,
                                  weight_decay=wd)
    elif config.optimizer == "adam":
        optimizer = optim.Adam(params, lr=config.lr, weight_decay=wd)
    else:
        optimizer = optim.AdamW(params, lr=config.lr, weight_decay=wd)
    scheduler, every = build_schedule(config, optimizer, n_train)
    return ModuleLearner(model, optimizer, scheduler, schedule_every=every,
                         label_smoothing=config.label_smoothing, clip_grad=config.clip_grad,
                         spec={"kind": "mlp", **model.spec})


def batches_per_epoch(config: TrainConfig, n_train: int) -> int:
    return 1 if config.full_batch else math.ceil(n_train / config.batch_size)


def build_schedule(config: TrainConfig, optimizer: Any, n_train: int) -> tuple[Any, str]:
    """The learning-rate schedule and when it steps.

    - ``step``: ×0.1 after each third of the epochs (per epoch);
    - ``exponential``: ×``0.01 ** (1 / epochs)`` per epoch, so the last epoch runs at ~1% lr;
    - ``cosine``: linear warm-up over ``warmup`` epochs, then cosine to 0, per batch;
    - ``plateau``: ×0.5 when the validation loss has not improved for 2 epochs.
    """
    from telar.optim import lr_scheduler as sched

    if config.schedule == "none":
        return None, "epoch"
    if config.schedule == "step":
        return sched.StepLR(optimizer, step_size=max(1, config.epochs // 3), gamma=0.1), "epoch"
    if config.schedule == "exponential":
        return sched.ExponentialLR(optimizer, gamma=0.01 ** (1 / config.epochs)), "epoch"
    if config.schedule == "cosine":
        per_epoch = batches_per_epoch(config, n_train)
        return sched.CosineWithWarmup(optimizer, warmup_steps=config.warmup * per_epoch,
                                      total_steps=config.epochs * per_epoch), "batch"
    return sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=2), "plateau"
