"""The report's network with hand-written backpropagation, layer by layer.

Architecture (the report's, by default): ``784 -> 64 -> 32 -> 16 -> 10``, ReLU in the hidden
layers, softmax output, cross-entropy loss. For layer ``l`` with input ``a[l-1]``::

    h[l] = a[l-1] @ W[l] + b[l]          a[l] = relu(h[l]) = max(h[l], 0)   (hidden layers)
    z    = a[L-1] @ W[L] + b[L]          (logits; softmax is folded into the loss)

Loss, from the logits with log-sum-exp (never ``log(p + eps)``, no clipping)::

    loss = mean_i( logsumexp(z_i) - z_i[y_i] ),   logsumexp(z) = max(z) + log(sum(exp(z - max(z))))

Backward, as the report writes it, with the mean over the batch of ``N`` rows folded into
the output error once, so every gradient below is a batch mean::

    d[L]   = (softmax(z) - onehot(y)) / N
    d[l]   = (d[l+1] @ W[l+1].T) * relu'(h[l]),   relu'(h) = 1 where h > 0 else 0
    dW[l]  = a[l-1].T @ d[l]                      db[l] = sum_i d[l]_i

Initialisation as the report has it ("Xavier"): ``W = N(0, 1) * sqrt(2 / (n_in + n_out))``,
biases zero, drawn from ``np.random.default_rng(seed)`` layer by layer.

Speed. All weights and biases live in one flat array :attr:`SeedNetwork.params` (and the
gradients in one flat :attr:`SeedNetwork.grads`); ``weights[l]`` and ``biases[l]`` are views
into it. An optimiser step is therefore one kernel call over one array. Activations and
deltas are preallocated per batch size and written with ``out=``; the hot path allocates only
a few tiny arrays per batch.

``naive_softmax=True`` computes softmax and loss the report's way, ``exp(z) / sum(exp(z))``
without subtracting the maximum and ``-log(p[y])``: it overflows to ``inf``/``nan`` for large
logits. It exists only to test the report's claim about high learning rates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from telar.errors import ConfigError

REPORT_SIZES: tuple[int, ...] = (784, 64, 32, 16, 10)


class _Buffers:
    """Preallocated activations and deltas for one batch size."""

    def __init__(self, sizes: Sequence[int], n: int, dtype: np.dtype) -> None:
        # acts[l] holds h[l] turned into a[l] in place (relu); acts[-1] holds the logits.
        self.acts = [np.empty((n, k), dtype) for k in sizes[1:]]
        self.masks = [np.empty((n, k), bool) for k in sizes[1:-1]]
        self.deltas = [np.empty((n, k), dtype) for k in sizes[1:]]
        self.row_max = np.empty((n, 1), dtype)
        self.row_sum = np.empty((n, 1), dtype)
        self.rows = np.arange(n)
        self.ones = np.ones(n, dtype)  # db = ones @ d: a BLAS call, faster than sum(axis=0)


class SeedNetwork:
    """A dense ReLU network with softmax-cross-entropy and hand-written backprop.

    Parameters
    ----------
    sizes : layer widths, input first, classes last (default: the report's 784-64-32-16-10).
    seed : seed of ``np.random.default_rng`` for the initial weights.
    dtype : ``np.float32`` for training (default), ``np.float64`` for gradient checks.
    naive_softmax : compute softmax/loss without max subtraction, as the report did.

    Attributes
    ----------
    params, grads : flat arrays with every weight and bias (and their gradients).
    weights, biases : per-layer views into ``params``; ``weights[l]`` has shape
        ``(sizes[l], sizes[l+1])``. Modify them in place (``w[...] = ...``) to keep the views.
    grad_weights, grad_biases : the same views into ``grads``.

    >>> net = SeedNetwork((4, 3, 2), seed=0, dtype=np.float64)
    >>> x = np.ones((5, 4)); y = np.array([0, 1, 1, 0, 1])
    >>> loss, gw, gb = net.loss_and_gradients(x, y)
    >>> [g.shape for g in gw], round(float(loss), 3) > 0
    ([(4, 3), (3, 2)], True)
    """

    def __init__(
        self,
        sizes: Sequence[int] = REPORT_SIZES,
        *,
        seed: int = 0,
        dtype: type | np.dtype = np.float32,
        naive_softmax: bool = False,
    ) -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ConfigError(f"layer sizes must be at least two positive widths, got {sizes}")
        if sizes[-1] < 2:
            raise ConfigError(f"the output layer needs at least 2 classes, got {sizes[-1]}")
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype}")
        self.naive_softmax = bool(naive_softmax)
        self.seed = seed
        shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        total = sum(a * b + b for a, b in shapes)
        self.params = np.zeros(total, self.dtype)
        self.grads = np.zeros(total, self.dtype)
        self.weights, self.biases = self._views(self.params, shapes)
        self.grad_weights, self.grad_biases = self._views(self.grads, shapes)
        rng = np.random.default_rng(seed)
        for w, (n_in, n_out) in zip(self.weights, shapes, strict=True):
            w[...] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))
        self._zero = self.dtype.type(0)
        self._buffers: dict[int, _Buffers] = {}
        self._x: np.ndarray | None = None
        self._buf: _Buffers | None = None
        self.last_loss: float = float("nan")

    @staticmethod
    def _views(flat: np.ndarray, shapes: list[tuple[int, int]]):
        weights, biases, at = [], [], 0
        for n_in, n_out in shapes:
            weights.append(flat[at : at + n_in * n_out].reshape(n_in, n_out))
            at += n_in * n_out
            biases.append(flat[at : at + n_out])
            at += n_out
        return weights, biases

    @property
    def num_parameters(self) -> int:
        return int(self.params.size)

    def _buffers_for(self, n: int) -> _Buffers:
        buf = self._buffers.get(n)
        if buf is None:
            if len(self._buffers) >= 4:  # full batch, mini-batch, last batch, evaluation
                self._buffers.clear()
            buf = self._buffers[n] = _Buffers(self.sizes, n, self.dtype)
        return buf

    # ---------------------------------------------------------------- forward
    def _forward(self, x: np.ndarray) -> _Buffers:
        """Fill the buffers for ``x`` (n, sizes[0]); returns them, logits in ``acts[-1]``."""
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected input of shape (n, {self.sizes[0]}), got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        buf = self._buffers_for(x.shape[0])
        a = x
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = buf.acts[l]
            np.matmul(a, w, out=h)
            h += b
            if l < last:
                np.greater(h, 0, out=buf.masks[l])  # relu'(h), reused by backward
                np.maximum(h, self._zero, out=h)  # a = relu(h), in place
            a = h
        self._x, self._buf = x, buf
        return buf

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``z`` for a batch ``x`` of shape (n, sizes[0]); keeps activations for backward."""
        return self._forward(x).acts[-1].copy()

    # --------------------------------------------------------------- the loss
    def _softmax_loss_(self, buf: _Buffers, y: np.ndarray) -> float:
        """Turn ``deltas[-1]`` into softmax(z) and return the mean cross-entropy."""
        z, p = buf.acts[-1], buf.deltas[-1]
        rows = buf.rows
        if self.naive_softmax:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                np.exp(z, out=p)
                np.sum(p, axis=1, keepdims=True, out=buf.row_sum)
                p /= buf.row_sum
                return float(-np.log(p[rows, y]).mean())
        np.max(z, axis=1, keepdims=True, out=buf.row_max)
        np.subtract(z, buf.row_max, out=p)
        picked = p[rows, y]  # z[y] - max(z)
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=buf.row_sum)
        p /= buf.row_sum
        # loss_i = log(sum exp(z - max)) - (z[y] - max)
        return float(np.log(buf.row_sum).mean() - picked.mean(dtype=np.float64))

    # --------------------------------------------------------------- backward
    def _backward(self, y: np.ndarray) -> float:
        """Hand-written backprop into :attr:`grads` for the last forward batch; returns the loss."""
        buf, x = self._buf, self._x
        if buf is None or x is None:
            raise RuntimeError("backward() needs a forward() first")
        y = np.asarray(y)
        n = x.shape[0]
        if y.shape != (n,):
            raise ValueError(f"expected {n} labels, got shape {y.shape}")
        loss = self._softmax_loss_(buf, y)
        d = buf.deltas[-1]
        d[buf.rows, y] -= 1.0  # output error: p - onehot(y)
        d *= 1.0 / n  # mean over the batch, once, so every gradient is a mean
        for l in range(len(self.weights) - 1, -1, -1):
            a_prev = x if l == 0 else buf.acts[l - 1]
            np.matmul(a_prev.T, d, out=self.grad_weights[l])  # dW = a[l-1].T @ d
            np.matmul(buf.ones, d, out=self.grad_biases[l])  # db = sum_i d_i
            if l > 0:
                d_prev = buf.deltas[l - 1]
                np.matmul(d, self.weights[l].T, out=d_prev)  # d_next @ W.T
                d_prev *= buf.masks[l - 1]  # * relu'(h)
                d = d_prev
        self.last_loss = loss
        return loss

    def backward(self, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean cross-entropy of the last :meth:`forward` batch.

        Returns ``(grads_w, grads_b)``: views into :attr:`grads`, overwritten by the next
        backward (copy them to keep them). The loss is left in :attr:`last_loss`.
        """
        self._backward(y)
        return self.grad_weights, self.grad_biases

    def loss_and_gradients(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """``(mean loss, grads_w, grads_b)`` for one batch (forward then backward)."""
        self._forward(x)
        loss = self._backward(y)
        return loss, self.grad_weights, self.grad_biases

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of ``x`` against labels ``y`` (no gradients)."""
        buf = self._forward(x)
        return self._softmax_loss_(buf, np.asarray(y))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted class per row (argmax of the logits)."""
        return self._forward(x).acts[-1].argmax(axis=1)
