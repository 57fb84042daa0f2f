"""``ModuleLearner``: any autograd module + a ``telar.optim`` optimiser behind :class:`Learner`.

One training step, PyTorch's way::

    logits = model(x); loss = cross_entropy(logits, y, label_smoothing)
    optimizer.zero_grad(); loss.backward(); clip_grad_norm_(params, clip); optimizer.step()
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.engine import Tensor, no_grad
from telar.engine import functional as F
from telar.engine.array import is_host_array, to_host
from telar.nn import Conv2d, Dropout, Linear, Module
from telar.optim import clip_grad_norm_
from telar.train.learner import Learner


class ModuleLearner(Learner):
    """Train ``model`` with ``optimizer`` (and ``scheduler``, stepped per ``schedule_every``:
    ``"batch"``, ``"epoch"`` or ``"plateau"``). ``spec`` describes the architecture for the
    model file (default ``model.spec``)."""

    def __init__(self, model: Module, optimizer: Any, scheduler: Any = None, *,
                 schedule_every: str = "epoch", label_smoothing: float = 0.0,
                 clip_grad: float = 0.0, spec: dict[str, Any] | None = None) -> None:
        self.attach_optimizer(optimizer, scheduler, schedule_every)
        self.model = model
        self.label_smoothing = float(label_smoothing)
        self.clip_grad = float(clip_grad)
        self._spec = spec if spec is not None else model.architecture()
        self._params = list(model.parameters())

    def _on_model_device(self, values: np.ndarray) -> Tensor:
        """A host batch as a tensor where the model's parameters live (copied to the GPU for
        a model moved there with ``model.to("cuda")``)."""
        first = self._params[0].array if self._params else None
        if first is None or is_host_array(first):
            return Tensor(values)
        return Tensor(self._params[0].device.put(values))

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        self.model.train()
        logits = self.model(self._on_model_device(x))
        if not is_host_array(logits.array):
            y = self._on_model_device(y).array
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad:
            clip_grad_norm_(self._params, self.clip_grad)
        self.optimizer.step()
        self.after_step()
        n_correct = int(np.count_nonzero(logits.array.argmax(axis=1) == y))
        return float(loss.array), n_correct

    def set_rng(self, rng: np.random.Generator) -> None:
        """Dropout layers draw their masks from ``rng`` (the loop gives one per epoch)."""
        for module in self.model.modules():
            if isinstance(module, Dropout):  # Dropout2d included
                module.generator = rng

    def matmul_layer_sizes(self) -> list[tuple[int, int]]:
        """Dense layers' ``(in, out)``. A network with convolutions reports none, so the loop
        keeps BLAS on one thread: convolutions get the other cores from their own sample-chunk
        threads (:mod:`telar.engine.cpu.workers`), which beat multi-threaded BLAS on the small
        per-chunk products (bench_cnn.py)."""
        modules = list(self.model.modules())
        if any(isinstance(m, Conv2d) for m in modules):
            return []
        return [(m.in_features, m.out_features) for m in modules if isinstance(m, Linear)]

    def logits(self, x: np.ndarray) -> np.ndarray:
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                return np.array(to_host(self.model(self._on_model_device(x)).array))
        finally:
            self.model.train(was_training)

    def spec(self) -> dict[str, Any]:
        if self._spec is None:
            raise TypeError(f"{type(self.model).__name__} has no architecture() to rebuild it "
                            "from; pass ModuleLearner(..., spec={...})")
        return dict(self._spec)

    def num_parameters(self) -> int:
        return self.model.num_parameters()

    def model_arrays(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_model_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict(arrays)
