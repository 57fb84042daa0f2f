"""``SeedLearner``: the seed network and its Adam behind an engine-agnostic training interface.

The generic training loop drives any "learner" through these calls:

* ``train_step(x, y) -> (mean_loss, n_correct)``: one forward, backward and optimiser update
  on a batch (``x`` float (n, 784), ``y`` int labels); loss and correct count are measured on
  the forward pass *before* the update.
* ``logits(x) -> ndarray (n, classes)``: a fresh array, evaluated in chunks (no update).
* ``state_arrays() -> dict[str, ndarray]``: everything to resume exactly (weights, biases,
  Adam ``m``/``v``/``t``, learning rate); ``load_state_arrays(d)`` restores it (shapes checked).
* ``lr`` (read/write) and ``num_parameters``.
* ``spec() -> dict``: JSON-able architecture, ``{"kind": "seed", "sizes": [...]}``; with
  ``SeedLearner.from_spec(spec)`` it rebuilds an untrained learner of the same shape.

>>> import numpy as np
>>> learner = SeedLearner.from_spec({"kind": "seed", "sizes": [4, 3, 2]}, lr=1e-2)
>>> loss, correct = learner.train_step(np.ones((6, 4), np.float32), np.zeros(6, int))
>>> learner.logits(np.ones((2, 4), np.float32)).shape
(2, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.errors import ModelFileError
from telar.seed.adam import SeedAdam
from telar.seed.network import SeedNetwork


class SeedLearner:
    """A :class:`SeedNetwork` trained by a :class:`SeedAdam` over its flat parameters."""

    def __init__(self, network: SeedNetwork, adam: SeedAdam | None = None) -> None:
        self.network = network
        #: threads for the row blocks of a large batch (None: one per core)
        self.workers: int | None = None
        self.adam = adam if adam is not None else SeedAdam(network.params, network.grads)
        if self.adam.params is not network.params:
            raise ValueError("the Adam must update this network's own params array")

    @classmethod
    def from_spec(cls, spec: dict[str, Any], *, seed: int = 0, lr: float = 1e-3,
                  dtype: type = np.float32) -> SeedLearner:
        if spec.get("kind") != "seed":
            raise ModelFileError(f"not a seed-network spec: kind={spec.get('kind')!r}")
        net = SeedNetwork(spec["sizes"], seed=seed, dtype=dtype)
        return cls(net, SeedAdam(net.params, net.grads, lr=lr))

    @property
    def num_parameters(self) -> int:
        return self.network.num_parameters

    @property
    def lr(self) -> float:
        """Adam's learning rate; set it to schedule (``learner.lr = 5e-4``)."""
        return self.adam.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.adam.lr = float(value)

    def spec(self) -> dict[str, Any]:
        return {"kind": "seed", "sizes": list(self.network.sizes)}

    def matmul_layer_sizes(self) -> list[tuple[int, int]]:
        """``(n_in, n_out)`` of each layer: the loop sizes BLAS threads by the largest product
        (:func:`telar.threads.threads_for_layers`)."""
        sizes = self.network.sizes
        return list(zip(sizes[:-1], sizes[1:], strict=True))

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        loss, n_correct = self.network.train_gradients(x, y, workers=self.workers)
        self.adam.step()
        return loss, n_correct

    def logits(self, x: np.ndarray, chunk: int = 10000) -> np.ndarray:
        out = np.empty((x.shape[0], self.network.sizes[-1]), self.network.dtype)
        for i in range(0, x.shape[0], chunk):
            out[i : i + chunk] = self.network._forward(x[i : i + chunk]).acts[-1]
        return out

    def state_arrays(self) -> dict[str, np.ndarray]:
        net, adam = self.network, self.adam
        state: dict[str, np.ndarray] = {}
        for l, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            state[f"weight{l}"] = w.copy()
            state[f"bias{l}"] = b.copy()
        state["adam_m"] = adam.m.copy()
        state["adam_v"] = adam.v.copy()
        state["adam_t"] = np.array(adam.t, np.int64)
        state["adam_lr"] = np.array(adam.lr, np.float64)
        return state

    def load_state_arrays(self, state: dict[str, np.ndarray]) -> None:
        net, adam = self.network, self.adam
        expected = {f"{k}{l}" for l in range(len(net.weights)) for k in ("weight", "bias")}
        missing = sorted(expected - set(state))
        if missing:
            raise ModelFileError(f"seed-network state lacks {', '.join(missing)}")
        targets = [(f"weight{l}", w) for l, w in enumerate(net.weights)]
        targets += [(f"bias{l}", b) for l, b in enumerate(net.biases)]
        if "adam_m" in state:
            targets += [("adam_m", adam.m), ("adam_v", adam.v)]
        for key, dst in targets:
            src = np.asarray(state[key])
            if src.shape != dst.shape:
                raise ModelFileError(
                    f"state array {key} has shape {src.shape}, expected {dst.shape}")
        for key, dst in targets:
            dst[...] = state[key]
        if "adam_t" in state:
            adam.t = int(state["adam_t"])
        if "adam_lr" in state:
            adam.lr = float(state["adam_lr"])
