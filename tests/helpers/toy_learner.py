"""A tiny NumPy learner for the training-loop tests: one hidden layer, dropout, SGD momentum.

Small enough to read at a glance, and it has every kind of state a real learner has (weights,
optimiser buffers, a step counter, a dropout generator), so the loop's bookkeeping is tested.
Also the blobs it learns (:func:`blobs`, :func:`data`) and :class:`InterruptAt`, a callback
that interrupts a run where a test wants it to.
"""

from __future__ import annotations

import numpy as np

from telar.train import Learner
from telar.train.loop import Callback


def blobs(n: int, n_features: int = 12, n_classes: int = 3, seed: int = 0, spread: float = 2.0):
    """Gaussian blobs: class c centred at a random point (scale ``spread``), unit noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, size=(n_classes, n_features))
    y = rng.integers(0, n_classes, size=n)
    x = (centres[y] + rng.normal(size=(n, n_features))).astype(np.float32)
    return x, y.astype(np.int64)


class ToyLearner(Learner):
    def __init__(self, n_in: int = 12, n_hidden: int = 16, n_out: int = 3, *, lr: float = 0.1,
                 dropout: float = 0.0, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w1 = (rng.normal(size=(n_in, n_hidden)) * np.sqrt(2 / n_in)).astype(np.float32)
        self.w2 = (rng.normal(size=(n_hidden, n_out)) * np.sqrt(2 / n_hidden)).astype(np.float32)
        self.v1 = np.zeros_like(self.w1)
        self.v2 = np.zeros_like(self.w2)
        self.rate = lr
        self.dropout = dropout
        self.steps = 0
        self.rng = np.random.default_rng(0)

    @property
    def lr(self) -> float:
        return self.rate

    def set_rng(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def train_step(self, x, y):
        h = np.maximum(x @ self.w1, 0)
        if self.dropout:
            h = h * (self.rng.random(h.shape) >= self.dropout) / (1 - self.dropout)
        z = h @ self.w2
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
        d = p.copy()
        d[np.arange(len(y)), y] -= 1
        d /= len(y)
        g2 = h.T @ d
        g1 = x.T @ ((d @ self.w2.T) * (h > 0))
        for v, w, g in ((self.v1, self.w1, g1), (self.v2, self.w2, g2)):
            v *= 0.9
            v += g
            w -= self.rate * v
        self.steps += 1
        return loss, int((p.argmax(1) == y).sum())

    def logits(self, x):
        return np.maximum(x @ self.w1, 0) @ self.w2

    def model_arrays(self):
        return {"w1": self.w1.copy(), "w2": self.w2.copy()}

    def state_arrays(self):
        return {"w1": self.w1.copy(), "w2": self.w2.copy(), "v1": self.v1.copy(),
                "v2": self.v2.copy()}

    def load_state_arrays(self, arrays):
        for k in ("w1", "w2", "v1", "v2"):
            setattr(self, k, np.array(arrays[k], copy=True))

    def state_json(self):
        return {"steps": self.steps, "lr": self.rate}

    def load_state_json(self, obj):
        self.steps = obj["steps"]
        self.rate = obj["lr"]

    def spec(self):
        return {"kind": "toy", "sizes": [self.w1.shape[0], self.w1.shape[1], self.w2.shape[1]]}


def data(n=240, seed=0):
    """Blobs: ``n`` samples to train on and 60 to validate with."""
    x, y = blobs(n + 60, seed=seed)
    return (x[:n], y[:n]), (x[n:], y[n:])


class InterruptAt(Callback):
    """Asks the trainer to stop after batch ``batch`` of epoch ``epoch``, as Ctrl-C does."""

    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, loss, n_correct, n):
        if (trainer.state.epoch, trainer.state.batch) == self.at:
            trainer.request_interrupt()
