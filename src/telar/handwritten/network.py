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

Large batches (the report's full batch of 60,000 rows) are processed in blocks of
:data:`BLOCK_ROWS` rows: every step above except the sums in ``dW`` and ``db`` is row by row,
so each block runs forward and backward on its own (with the *total* ``N`` in ``d[L]``) and
writes its share of the gradient; the shares are added in block order, so the result does
not depend on how many threads ran. A block's activations stay in the core's cache instead
of streaming 15 MB arrays through memory once per elementwise pass, its input rows are read
from cache a second time for ``dW``, and two threads work on alternate blocks (NumPy releases
the GIL inside BLAS and ufuncs), each with a single-threaded BLAS.

Speed. All weights and biases live in one flat array :attr:`HandwrittenNetwork.params` (and the
gradients in one flat :attr:`HandwrittenNetwork.grads`); ``weights[l]`` and ``biases[l]`` are views
into it. An optimiser step is therefore one kernel call over one array. Activations and
deltas are preallocated per batch size and written with ``out=``; the hot path allocates only
a few tiny arrays per batch.

``naive_softmax=True`` computes softmax and loss the report's way, ``exp(z) / sum(exp(z))``
without subtracting the maximum and ``-log(p[y])``: it overflows to ``inf``/``nan`` for large
logits. It exists only to test the report's claim about high learning rates.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from telar.engine.array import xp
from telar.engine.cpu.threads import blas_threads, thread_budget
from telar.engine.cpu.workers import run_chunks
from telar.engine.init_mode import init_skipped
from telar.errors import ConfigError, ModelFileError

REPORT_SIZES: tuple[int, ...] = (784, 64, 32, 16, 10)

#: Batches larger than this are processed as blocks of this many rows (see the module doc):
#: a block's 64-wide activations (2048 x 64 float32 = 512 KB) stay in a core's L2 cache.
BLOCK_ROWS = 2048


class _Buffers:
    """Preallocated activations and deltas for one batch size."""

    def __init__(self, sizes: Sequence[int], n: int, dtype: np.dtype) -> None:
        # acts[l] holds h[l] turned into a[l] in place (relu); acts[-1] holds the logits.
        self.acts = [xp.empty((n, k), dtype) for k in sizes[1:]]
        self.masks = [xp.empty((n, k), bool) for k in sizes[1:-1]]
        self.deltas = [xp.empty((n, k), dtype) for k in sizes[1:]]
        self.row_max = xp.empty((n, 1), dtype)
        self.row_sum = xp.empty((n, 1), dtype)
        self.rows = xp.arange(n)
        self.ones = xp.ones(n, dtype)  # db = ones @ d: a BLAS call, faster than sum(axis=0)
        # row sums of the (n, classes) softmax as a product with ones: ~7x faster than
        # sum(axis=1), which NumPy runs as a short reduction per row
        self.ones_classes = xp.ones(sizes[-1], dtype)

    def first(self, k: int) -> _Buffers:
        """The same buffers cut to their first ``k`` rows (views; for a short last block)."""
        cut = object.__new__(_Buffers)
        cut.acts = [a[:k] for a in self.acts]
        cut.masks = [m[:k] for m in self.masks]
        cut.deltas = [d[:k] for d in self.deltas]
        cut.row_max, cut.row_sum = self.row_max[:k], self.row_sum[:k]
        cut.rows, cut.ones = self.rows[:k], self.ones[:k]
        cut.ones_classes = self.ones_classes
        return cut


def _max_abs(a: np.ndarray) -> float:
    """Largest ``|a|`` ignoring NaN (0 for an all-NaN array)."""
    with xp.errstate(invalid="ignore"):
        return float(xp.nanmax(xp.abs(a), initial=0.0))


class HandwrittenNetwork:
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

    >>> net = HandwrittenNetwork((4, 3, 2), seed=0, dtype=np.float64)
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
        dtype: type | np.dtype = xp.float32,
        naive_softmax: bool = False,
    ) -> None:
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ConfigError(f"layer sizes must be at least two positive widths, got {sizes}")
        if sizes[-1] < 2:
            raise ConfigError(f"the output layer needs at least 2 classes, got {sizes[-1]}")
        self.sizes = sizes
        self.dtype = xp.dtype(dtype)
        if self.dtype not in (xp.float32, xp.float64):
            raise ConfigError(f"dtype must be float32 or float64, got {self.dtype}")
        self.naive_softmax = bool(naive_softmax)
        self.seed = seed
        self._shapes = shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        total = sum(a * b + b for a, b in shapes)
        self.params = xp.zeros(total, self.dtype)
        self.weights, self.biases = self._views(self.params, shapes)
        # Drawn by NumPy on the host whatever the backend, so a seed gives the same weights;
        # not drawn at all for a network whose weights a file is about to overwrite.
        rng = np.random.default_rng(seed)
        for w, (n_in, n_out) in zip(self.weights, shapes, strict=True):
            if not init_skipped():
                w[...] = rng.standard_normal((n_in, n_out)) * xp.sqrt(2.0 / (n_in + n_out))
        self._buffers: dict[int, _Buffers] = {}
        self._block_buffers: list[_Buffers] = []  # one set per worker thread
        self._partials: np.ndarray | None = None  # (blocks, params): per-block gradients
        self._x: np.ndarray | None = None
        self._buf: _Buffers | None = None
        # Off the hot path unless asked for: `telar reproduce` watches the logits' range to
        # see whether the naive softmax could overflow.
        self.track_max_logit: bool = False
        self.last_max_abs_logit: float = 0.0
        self.last_loss: float = float("nan")

    @functools.cached_property
    def grads(self) -> np.ndarray:
        """The flat gradient, made at its first use: a network loaded only to predict never
        holds a second copy of its weights' size."""
        return xp.zeros(self.params.size, self.dtype)

    @functools.cached_property
    def _grad_views(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return self._views(self.grads, self._shapes)

    @property
    def grad_weights(self) -> list[np.ndarray]:
        return self._grad_views[0]

    @property
    def grad_biases(self) -> list[np.ndarray]:
        return self._grad_views[1]

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
        self._forward_rows(x, buf)
        self._x, self._buf = x, buf
        return buf

    def _forward_rows(self, x: np.ndarray, buf: _Buffers) -> None:
        """The forward pass of ``x`` into ``buf`` (no checks)."""
        a = x
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = buf.acts[l]
            xp.matmul(a, w, out=h)
            h += b
            if l < last:
                mask = buf.masks[l]
                xp.greater(h, 0, out=mask)  # relu'(h), reused by backward
                # a = relu(h) = h * relu'(h), in place: cheaper than np.maximum(h, 0)
                xp.multiply(h, mask, out=h)
            a = h

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``z`` for a batch ``x`` of shape (n, sizes[0]); keeps activations for backward."""
        return self._forward(x).acts[-1].copy()

    # --------------------------------------------------------------- the loss
    def _softmax_loss_(self, buf: _Buffers, y: np.ndarray) -> float:
        """Turn ``deltas[-1]`` into softmax(z) and return the mean cross-entropy."""
        z, p = buf.acts[-1], buf.deltas[-1]
        rows = buf.rows
        if self.naive_softmax:
            with xp.errstate(over="ignore", invalid="ignore", divide="ignore"):
                xp.exp(z, out=p)
                xp.sum(p, axis=1, keepdims=True, out=buf.row_sum)
                p /= buf.row_sum
                return float(-xp.log(p[rows, y]).mean())
        xp.maximum.reduce(z, axis=1, out=buf.row_max[:, 0])  # faster than np.max(keepdims)
        xp.subtract(z, buf.row_max, out=p)
        picked = p[rows, y]  # z[y] - max(z)
        xp.exp(p, out=p)
        xp.matmul(p, buf.ones_classes, out=buf.row_sum[:, 0])  # sum over classes
        p /= buf.row_sum
        # loss_i = log(sum exp(z - max)) - (z[y] - max)
        return float(xp.log(buf.row_sum).mean() - picked.mean(dtype=xp.float64))

    # --------------------------------------------------------------- backward
    def _backward(self, y: np.ndarray) -> float:
        """Hand-written backprop into :attr:`grads` for the last forward batch; returns the loss."""
        buf, x = self._buf, self._x
        if buf is None or x is None:
            raise RuntimeError("backward() needs a forward() first")
        y = xp.asarray(y)
        n = x.shape[0]
        if y.shape != (n,):
            raise ValueError(f"expected {n} labels, got shape {y.shape}")
        loss = self._backprop(x, y, buf, self.grad_weights, self.grad_biases, n)
        self.last_loss = loss
        return loss

    def _backprop(self, x, y, buf, grad_w, grad_b, n_total: int) -> float:
        """Backward for rows ``x`` (forward already in ``buf``) into ``grad_w``/``grad_b``.

        ``n_total`` is the ``N`` of the batch mean (more than ``len(x)`` for a block of a
        large batch). Returns the mean loss over the rows of ``x``.
        """
        loss = self._softmax_loss_(buf, y)
        d = buf.deltas[-1]
        d[buf.rows, y] -= 1.0  # output error: p - onehot(y)
        d *= 1.0 / n_total  # mean over the batch, once, so every gradient is a mean
        for l in range(len(self.weights) - 1, -1, -1):
            a_prev = x if l == 0 else buf.acts[l - 1]
            xp.matmul(a_prev.T, d, out=grad_w[l])  # dW = a[l-1].T @ d
            xp.matmul(buf.ones, d, out=grad_b[l])  # db = sum_i d_i
            if l > 0:  # the input's delta is never needed: not computed for l == 0
                d_prev = buf.deltas[l - 1]
                xp.matmul(d, self.weights[l].T, out=d_prev)  # d_next @ W.T
                d_prev *= buf.masks[l - 1]  # * relu'(h)
                d = d_prev
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

    def train_gradients(
        self, x: np.ndarray, y: np.ndarray, *, workers: int | None = None
    ) -> tuple[float, int]:
        """Gradients of the batch into :attr:`grads`; returns ``(mean loss, correct count)``.

        Loss and correct count are those of the forward pass (the parameters before any
        update). A batch of more than :data:`BLOCK_ROWS` rows is processed in blocks on
        ``workers`` threads (default: one per core; see the module doc); the result equals
        the whole-batch one up to float rounding and does not depend on ``workers``.
        """
        if x.shape[0] <= BLOCK_ROWS:
            buf = self._forward(x)
            n_correct = int(xp.count_nonzero(buf.acts[-1].argmax(axis=1) == y))
            if self.track_max_logit:
                self.last_max_abs_logit = _max_abs(buf.acts[-1])
            return self._backward(y), n_correct
        return self._blocked_gradients(x, xp.asarray(y), workers or thread_budget())

    def _blocked_gradients(self, x: np.ndarray, y: np.ndarray, workers: int) -> tuple[float, int]:
        n = x.shape[0]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected input of shape (n, {self.sizes[0]}), got {x.shape}")
        if y.shape != (n,):
            raise ValueError(f"expected {n} labels, got shape {y.shape}")
        starts = range(0, n, BLOCK_ROWS)
        blocks = len(starts)
        if self._partials is None or self._partials.shape[0] != blocks:
            self._partials = xp.empty((blocks, self.params.size), self.dtype)
        if self._block_buffers and self._block_buffers[0].rows.size != BLOCK_ROWS:
            self._block_buffers.clear()
        while len(self._block_buffers) < workers:
            self._block_buffers.append(_Buffers(self.sizes, BLOCK_ROWS, self.dtype))
        losses = xp.zeros(blocks)  # per block: sum of the rows' losses
        correct = xp.zeros(blocks, xp.int64)
        max_abs_logit = xp.zeros(blocks)

        def work(worker: int, count: int) -> None:
            for j in range(worker, blocks, count):  # alternate blocks
                lo = starts[j]
                xs, ys = x[lo : lo + BLOCK_ROWS], y[lo : lo + BLOCK_ROWS]
                if xs.dtype != self.dtype:
                    xs = xs.astype(self.dtype)
                k = xs.shape[0]
                buf = self._block_buffers[worker]
                buf = buf if k == BLOCK_ROWS else buf.first(k)
                self._forward_rows(xs, buf)
                correct[j] = xp.count_nonzero(buf.acts[-1].argmax(axis=1) == ys)
                if self.track_max_logit:
                    max_abs_logit[j] = _max_abs(buf.acts[-1])
                grad_w, grad_b = self._views(self._partials[j], self._shapes)
                losses[j] = self._backprop(xs, ys, buf, grad_w, grad_b, n) * k

        # The row-block threads are the parallelism: BLAS threads inside them would only
        # fight them for the cores, whoever called us.
        with blas_threads(1):
            run_chunks(blocks, work, max_workers=workers)
        xp.sum(self._partials, axis=0, out=self.grads)  # block order: deterministic
        self._x = self._buf = None  # no whole-batch activations are kept
        self.last_loss = float(losses.sum() / n)
        if self.track_max_logit:
            self.last_max_abs_logit = float(max_abs_logit.max())
        return self.last_loss, int(correct.sum())

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy of ``x`` against labels ``y`` (no gradients)."""
        buf = self._forward(x)
        return self._softmax_loss_(buf, xp.asarray(y))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted class per row (argmax of the logits)."""
        return self._forward(x).acts[-1].argmax(axis=1)

    def logits(self, x: np.ndarray, chunk: int = 10000) -> np.ndarray:
        """Logits of ``x``, a fresh array, computed ``chunk`` rows at a time (no update)."""
        out = xp.empty((x.shape[0], self.sizes[-1]), self.dtype)
        for i in range(0, x.shape[0], chunk):
            out[i : i + chunk] = self._forward(x[i : i + chunk]).acts[-1]
        return out

    # ----------------------------------------------------------------- arrays
    def arrays(self) -> dict[str, np.ndarray]:
        """Copies of the weights and biases: ``weight0``, ``bias0``, ``weight1``, ..."""
        out: dict[str, np.ndarray] = {}
        for l, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out[f"weight{l}"], out[f"bias{l}"] = w.copy(), b.copy()
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the weights and biases from :meth:`arrays`' layout (every shape checked first)."""
        targets = [(f"weight{l}", w) for l, w in enumerate(self.weights)]
        targets += [(f"bias{l}", b) for l, b in enumerate(self.biases)]
        missing = [key for key, _ in targets if key not in arrays]
        if missing:
            raise ModelFileError(f"hand-written network state lacks {', '.join(missing)}")
        for key, dst in targets:
            if xp.shape(arrays[key]) != dst.shape:
                raise ModelFileError(f"state array {key} has shape {xp.shape(arrays[key])}, "
                                     f"expected {dst.shape}")
        for key, dst in targets:
            dst[...] = arrays[key]  # in place: weights are views into params
