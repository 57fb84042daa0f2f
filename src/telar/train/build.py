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
from telar.train.config import TrainConfig
from telar.train.module_learner import ModuleLearner


class _LrGroups:
    """What ``telar.optim.lr_scheduler`` needs of an optimiser: ``param_groups[i]["lr"]``."""

    def __init__(self, lr: float) -> None:
        self.param_groups: list[dict[str, Any]] = [{"lr": lr}]


class ReportLearner(SeedLearner):
    """The seed learner plus what a run needs: a learning-rate schedule (the schedules of
    ``telar.optim`` drive the hand-written Adam's ``lr`` through :class:`_LrGroups`), the lr for
    the logs, and weights-only model arrays."""

    scheduler: Any = None
    schedule_every: str = "epoch"
    lr_groups: _LrGroups | None = None

    def attach_schedule(self, scheduler: Any, every: str, groups: _LrGroups) -> None:
        self.scheduler, self.schedule_every, self.lr_groups = scheduler, every, groups

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        if self.lr_groups is not None:
            self.adam.lr = self.lr_groups.param_groups[0]["lr"]
        result = super().train_step(x, y)
        if self.scheduler is not None and self.schedule_every == "batch":
            self.scheduler.step()
        return result

    def schedule_step(self, val_loss: float | None) -> None:
        if self.scheduler is None or self.schedule_every == "batch":
            return
        self.scheduler.step(val_loss) if self.schedule_every == "plateau" \
            else self.scheduler.step()

    @property
    def lr(self) -> float:
        if self.lr_groups is not None:
            return float(self.lr_groups.param_groups[0]["lr"])
        return float(self.adam.lr)

    def state_json(self) -> dict[str, Any]:
        if self.scheduler is None:
            return {}
        return {"scheduler": self.scheduler.state_dict(),
                "lr_groups": self.lr_groups.param_groups if self.lr_groups else None}

    def load_state_json(self, state: dict[str, Any]) -> None:
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
            self.lr_groups.param_groups = [dict(g) for g in state["lr_groups"]]

    def model_arrays(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.state_arrays().items() if k.startswith(("weight", "bias"))}


def is_report_network(config: TrainConfig) -> bool:
    """True when the network is the report's kind: plain ReLU layers, the report's init."""
    return (config.activation == "relu" and config.init == "xavier_report"
            and not config.dropout and not config.batch_norm)


def build_learner(config: TrainConfig, *, n_inputs: int, n_classes: int,
                  n_train: int) -> Any:
    """The learner ``config`` describes, for ``n_train`` training samples."""
    sizes = [n_inputs, *config.hidden, n_classes]
    if config.engine == "manual":
        learner = ReportLearner.from_spec({"kind": "seed", "sizes": sizes}, seed=config.seed,
                                          lr=config.lr)
        groups = _LrGroups(config.lr)
        scheduler, every = build_schedule(config, groups, n_train)
        if scheduler is not None:
            learner.attach_schedule(scheduler, every, groups)
        return learner
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
