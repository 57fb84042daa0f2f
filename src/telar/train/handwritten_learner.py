"""``HandwrittenLearner``: the hand-written network behind :class:`Learner`.

The network keeps every weight and bias in one flat array ``params`` and writes its
gradients into one flat array ``grads``; the learner hands that pair to any ``telar.optim``
optimiser as a single parameter, so an Adam step is one kernel call over the whole network
(the same kernel, bit for bit, as for autograd modules) and schedules work unchanged.

>>> import numpy as np
>>> learner = HandwrittenLearner.from_spec({"kind": "handwritten", "sizes": [4, 3, 2]})
>>> loss, correct = learner.train_step(np.ones((6, 4), np.float32), np.zeros(6, int))
>>> learner.logits(np.ones((2, 4), np.float32)).shape
(2, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.errors import ModelFileError
from telar.handwritten import HandwrittenNetwork
from telar.nn import Parameter
from telar.optim import Adam
from telar.train.learner import Learner

#: Names this engine had before (model files and options saved with them still work).
OLD_KINDS = ("seed",)


class HandwrittenLearner(Learner):
    """A :class:`HandwrittenNetwork` trained by ``optimizer`` (default: Adam, lr 1e-3)."""

    def __init__(self, network: HandwrittenNetwork, optimizer: Any = None,
                 scheduler: Any = None, schedule_every: str = "epoch") -> None:

        self.network = network
        #: threads for the row blocks of a large batch (None: one per core)
        self.workers: int | None = None
        #: the whole network as one parameter: data is ``network.params``, grad ``grads``
        self.parameter = Parameter(network.params)
        if self.parameter.array is not network.params:
            raise ValueError("the parameter must share the network's params array")
        self.parameter.grad = network.grads
        optimizer = optimizer if optimizer is not None else Adam([self.parameter])
        self.attach_optimizer(optimizer, scheduler, schedule_every)

    @classmethod
    def from_spec(cls, spec: dict[str, Any], *, seed: int = 0,
                  dtype: type = np.float32) -> HandwrittenLearner:
        """An untrained learner of the shape ``spec`` describes (kind ``handwritten``)."""
        return cls(network_from_spec(spec, seed=seed, dtype=dtype))

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        loss, n_correct = self.network.train_gradients(x, y, workers=self.workers)
        self.parameter.grad = self.network.grads  # an optimiser may have dropped it
        self.optimizer.step()
        self.after_step()
        return loss, n_correct

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.network.logits(x)

    def spec(self) -> dict[str, Any]:
        return {"kind": "handwritten", "sizes": list(self.network.sizes)}

    def matmul_layer_sizes(self) -> list[tuple[int, int]]:
        sizes = self.network.sizes
        return list(zip(sizes[:-1], sizes[1:], strict=True))

    def num_parameters(self) -> int:
        return self.network.num_parameters

    def model_arrays(self) -> dict[str, np.ndarray]:
        return self.network.arrays()

    def load_model_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.network.load_arrays(arrays)

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.network.load_arrays(arrays)
        if "adam_m" in arrays:  # a checkpoint from before the engines shared telar.optim
            self._load_old_adam_state(arrays)

    def _load_old_adam_state(self, arrays: dict[str, np.ndarray]) -> None:
        params = self.network.params
        m, v = np.asarray(arrays["adam_m"]), np.asarray(arrays["adam_v"])
        if m.shape != params.shape or v.shape != params.shape:
            raise ModelFileError(f"Adam moments of shape {m.shape}, the network has "
                                 f"{params.shape} parameters")
        self.optimizer.state[id(self.parameter)] = {
            "step": int(arrays["adam_t"]), "exp_avg": m.astype(params.dtype),
            "exp_avg_sq": v.astype(params.dtype)}
        if "adam_lr" in arrays:
            self.optimizer.param_groups[0]["lr"] = float(arrays["adam_lr"])


def network_from_spec(spec: dict[str, Any], *, seed: int = 0,
                      dtype: type = np.float32) -> HandwrittenNetwork:
    """The network of a ``{"kind": "handwritten", "sizes": [...]}`` spec (old kind ``seed``)."""
    kind = spec.get("kind")
    if kind != "handwritten" and kind not in OLD_KINDS:
        raise ModelFileError(f"not a hand-written network spec: kind={kind!r}")
    return HandwrittenNetwork(spec["sizes"], seed=seed, dtype=dtype)
