"""Recurrent layers over whole sequences, fused: backpropagation through time, cell by cell.

One operation runs one direction of one layer over a whole sequence ``x`` of shape
``(T, N, I)`` (time first), from the state ``h0`` (and ``c0``) of shape ``(N, H)``, with
PyTorch's weights: ``w_ih`` ``(G*H, I)``, ``w_hh`` ``(G*H, H)``, biases ``(G*H,)``, the ``G``
gate blocks stacked in PyTorch's order. Each cell's forward and backward sit side by side:

- :func:`rnn`: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``, ``act`` tanh or relu;
- :func:`lstm`: gates ``i, f, g, o`` (``G = 4``);
- :func:`gru`: gates ``r, z, n`` (``G = 3``), ``b_hn`` inside ``r * (...)`` as PyTorch has it.

How they are fast: the loop does one matrix product per step and the gate arithmetic in
place, in buffers (the RNN and GRU compute the input's contribution ``x_t W_ih^T + b`` for
all steps in one product before the loop; the LSTM keeps each step's row ``[1, x_t, h_{t-1}]``
and multiplies it by the stacked weights). The backward loop runs over time in reverse,
carrying ``dL/dh_t`` (and ``dL/dc_t``) and storing each step's gate gradients ``dA_t``
(gradients with respect to the pre-activations); the weight and input gradients are then
again one product each over all steps::

    dW_ih = sum_t dA_t^T x_t      dW_hh = sum_t dA_t^T h_{t-1}      dx_t = dA_t W_ih
    db_ih = db_hh = sum_t dA_t    dL/dh_{t-1} += dA_t W_hh

``reverse=True`` runs the sequence from its last step to its first (the backward direction of
a bidirectional layer); outputs stay in the input's time order. A step's output is its
hidden state; the last state is the output of the last step run (``h_n``).
:mod:`telar.engine.reference.recurrent` composes the same cells of plain operations, which
the tests hold these to (and both to PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telar.engine.array import Array, xp
from telar.engine.cpu.threads import blas_threads, threads_for_flops
from telar.engine.tensor import Tensor, make_result


# --------------------------------------------------------------------------- shared pieces
def take_step(x: Tensor, index: int) -> Tensor:
    """``x[index]`` along the first axis (a time step, or a layer's state); ``dx`` is zero
    but at ``index``, where it is ``g``."""
    xd = x.array

    def backward(g: Array) -> tuple[Array]:
        gx = xp.zeros_like(xd)
        gx[index] = g
        return (gx,)

    return make_result(xd[index], (x,), backward)


def _check(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, gates: int, what: str
           ) -> tuple[int, int, int]:
    """``(T, N, H)``; ``ValueError`` naming the first shape that does not fit."""
    xd, hd = x.array, h0.array
    if xd.ndim != 3:
        raise ValueError(f"{what}: expected the input of shape (T, N, input_size), got "
                         f"{xd.shape}")
    steps, batch, features = xd.shape
    hidden = w_hh.array.shape[1]
    if w_ih.array.shape != (gates * hidden, features) or w_hh.array.shape != (gates * hidden,
                                                                            hidden):
        raise ValueError(f"{what}: weights {w_ih.array.shape} and {w_hh.array.shape} do not fit "
                         f"input_size {features} and hidden_size {hidden} ({gates} gates)")
    if hd.shape != (batch, hidden):
        raise ValueError(f"{what}: expected the initial state of shape {(batch, hidden)}, got "
                         f"{hd.shape}")
    if steps < 1:
        raise ValueError(f"{what}: the sequence has no time step")
    return steps, batch, hidden


def _project(x: Array, w_ih: Array, bias: Array | None) -> Array:
    """``x_t W_ih^T + bias`` for every step at once: ``(T, N, I) -> (T, N, G*H)``, a new
    array the forward loop then works in.

    The bias rides in the product as one more input feature that is always 1 (a column of
    ones beside ``x``, a row ``bias`` under ``W_ih^T``): adding it afterwards was a second
    pass over the whole array, slower than the product itself when the input is narrow.
    """
    steps, batch, features = x.shape
    rows = x.reshape(steps * batch, features)
    if bias is None:
        return (rows @ w_ih.T).reshape(steps, batch, -1)
    rows1 = xp.empty((steps * batch, features + 1), dtype=x.dtype)
    rows1[:, :features] = rows
    rows1[:, features] = 1
    weights1 = xp.empty((features + 1, w_ih.shape[0]), dtype=w_ih.dtype)
    weights1[:features] = w_ih.T
    weights1[features] = bias
    return (rows1 @ weights1).reshape(steps, batch, -1)


def _step_threads(batch: int, hidden: int, gates: int) -> int | None:
    """BLAS threads for a whole recurrent operation, chosen by its per-step product
    ``(N, H) @ (H, G*H)``: one unless that is large (:mod:`telar.engine.cpu.threads`).

    The per-step products, a few hundred small ones in sequence, are most of the work, and
    waking threads for each was ten times slower on a busy two-core machine. The one large
    product of the backward (the weight gradients) keeps the same setting: with two threads
    it made a 2-layer LSTM's training three times slower there (threads spinning for a core
    another process held), for a gain of at most its own ~25% share on an idle machine.
    """
    return threads_for_flops(2.0 * batch * hidden * gates * hidden)


def _with_threads(backward: Callable[[Array], Sequence[Array | None]], threads: int | None
                  ) -> Callable[[Array], Sequence[Array | None]]:
    """``backward`` run under :func:`blas_threads` with ``threads``."""

    def run(g: Array) -> Sequence[Array | None]:
        with blas_threads(threads):
            return backward(g)

    return run


def _bias_sum(*biases: Tensor | None) -> Array | None:
    present = [b.array for b in biases if b is not None]
    return None if not present else present[0] if len(present) == 1 else present[0] + present[1]


def _order(steps: int, reverse: bool) -> range:
    """The time steps in the order the cell visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _previous_states(h0: Array, hs: Array, reverse: bool) -> Array:
    """``h_{t-1}`` for every step ``t`` in time order: the state each step started from."""
    if reverse:
        return xp.concatenate([hs[1:], h0[None]])
    return xp.concatenate([h0[None], hs[:-1]])


def _weight_grads(dA: Array, x: Array, h_prev: Array, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None, need_dx: bool,
                  dA_hh: Array | None = None) -> tuple[Array | None, ...]:
    """``dx``, ``dW_ih``, ``dW_hh``, ``db_ih``, ``db_hh`` from the pre-activation gradients of
    all steps (``dA_hh``: those of the hidden-to-hidden products when they differ, as in the
    GRU), each one product over all ``T * N`` rows."""
    rows = dA.shape[0] * dA.shape[1]
    flat = dA.reshape(rows, -1)
    flat_hh = flat if dA_hh is None else dA_hh.reshape(rows, -1)
    dx = (flat @ w_ih.array).reshape(x.shape) if need_dx else None
    dw_ih = flat.T @ x.reshape(rows, -1) if w_ih.requires_grad else None
    dw_hh = flat_hh.T @ h_prev.reshape(rows, -1) if w_hh.requires_grad else None
    ones = xp.ones(rows, dtype=dA.dtype)  # a product sums the rows faster than .sum(axis=0)
    db_ih = ones @ flat if b_ih is not None and b_ih.requires_grad else None
    db_hh = None
    if b_hh is not None and b_hh.requires_grad:  # a copy when equal: grads must not share
        db_hh = ones @ flat_hh if dA_hh is not None or db_ih is None else db_ih.copy()
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _parents(*tensors: Tensor | None) -> tuple[Tensor, ...]:
    return tuple(t for t in tensors if t is not None)


def _present(grads: tuple[Array | None, ...], tensors: tuple[Tensor | None, ...]
             ) -> list[Array | None]:
    """The gradients of the tensors that are parents (not ``None``), in order."""
    return [g for g, t in zip(grads, tensors, strict=True) if t is not None]


def _sigmoid_(a: Array) -> None:
    """``a <- 1 / (1 + e^-a)`` in place, as ``(1 + tanh(a/2)) / 2`` (no overflow)."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


# --------------------------------------------------------------------------- Elman RNN
ACTIVATIONS: dict[str, tuple[Callable[[Array], None], Callable[[Array, Array], None]]] = {
    # name: (activation in place, dL/da from dL/dh in place given h = act(a))
    "tanh": (lambda a: xp.tanh(a, out=a), lambda dh, h: xp.multiply(dh, 1 - h * h, out=dh)),
    "relu": (lambda a: xp.maximum(a, 0, out=a), lambda dh, h: xp.multiply(dh, h > 0, out=dh)),
}


def rnn(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None, nonlinearity: str = "tanh", reverse: bool = False
        ) -> tuple[Tensor, Tensor]:
    """Elman RNN over a sequence: ``(output (T, N, H), h_n (N, H))``.

    Forward: ``a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh``, ``h_t = act(a_t)``.
    Backward, ``t`` from the last step run to the first, ``dh`` carrying ``dL/dh_t``::

        dh_t = g_t + dh          dA_t = dh_t * act'(a_t)     dh = dA_t W_hh

    with ``tanh' = 1 - h_t^2`` and ``relu' = [h_t > 0]``.
    """
    if nonlinearity not in ACTIVATIONS:
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    steps, batch, hidden = _check(x, h0, w_ih, w_hh, 1, f"rnn_{nonlinearity}")
    activate, derivative = ACTIVATIONS[nonlinearity]
    whh_t = xp.ascontiguousarray(w_hh.array.T)  # BLAS is ~2x faster on it than on a view
    hs = _project(x.array, w_ih.array, _bias_sum(b_ih, b_hh))  # a_t, then h_t in place
    h = h0.array
    threads = _step_threads(batch, hidden, 1)
    with blas_threads(threads):
        for t in _order(steps, reverse):
            a = hs[t]
            a += h @ whh_t
            activate(a)
            h = a

    def backward(g: Array) -> list[Array | None]:
        dA = g.copy()  # dL/dh_t from above, becoming dL/da_t step by step
        dh = None
        for t in _order(steps, not reverse):
            da = dA[t]
            if dh is not None:
                da += dh
            derivative(da, hs[t])
            dh = da @ w_hh.array
        grads = _weight_grads(dA, x.array, _previous_states(h0.array, hs, reverse), w_ih, w_hh,
                              b_ih, b_hh, x.requires_grad)
        return _present((grads[0], dh, *grads[1:]), (x, h0, w_ih, w_hh, b_ih, b_hh))

    output = make_result(hs, _parents(x, h0, w_ih, w_hh, b_ih, b_hh),
                         _with_threads(backward, threads))
    return output, take_step(output, 0 if reverse else steps - 1)


# --------------------------------------------------------------------------- LSTM
#: The LSTM's gates in the order it computes them, as PyTorch's block numbers (``i, f, g, o``
#: = 0, 1, 2, 3): ``o, i, f, g``, so that the sigmoid gates ``o, i, f`` are one block, and so
#: are the gates ``i, f, g`` that ``dL/dc`` multiplies.
LSTM_ORDER = (3, 0, 1, 2)


def lstm(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
         b_ih: Tensor | None = None, b_hh: Tensor | None = None, reverse: bool = False
         ) -> tuple[Tensor, Tensor, Tensor]:
    """Long short-term memory over a sequence: ``(output (T, N, H), h_n, c_n)``.

    Forward, with the gate blocks ``i, f, g, o`` of ``a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T
    + b_hh`` (PyTorch's order)::

        i = s(a_i)   f = s(a_f)   g = tanh(a_g)   o = s(a_o)      (s: the logistic sigmoid)
        c_t = f c_{t-1} + i g       h_t = o tanh(c_t)

    Backward, ``t`` from the last step run to the first, carrying ``dh = dL/dh_t`` and
    ``dc = dL/dc_t``::

        dh_t = g_t + dh                      dc += dh_t o (1 - tanh(c_t)^2)
        dA_o = dh_t tanh(c_t) o (1 - o)      dA_i = dc g i (1 - i)
        dA_f = dc c_{t-1} f (1 - f)          dA_g = dc i (1 - g^2)
        dc <- dc f                           dh <- dA_t W_hh

    How it is computed. Each step's row ``[1, x_t, h_{t-1}]`` is kept (``xh``, ``T`` rows of
    ``1 + I + H``), so one product ``xh_t @ W`` with ``W = [b; W_ih^T; W_hh^T]`` gives a step's
    pre-activations, and after the loop one product ``dA^T xh`` gives ``db``, ``dW_ih`` and
    ``dW_hh`` together. The gates are stored gate by gate, ``(4, T, N, H)``, in the order
    :data:`LSTM_ORDER`, so every element-wise operation runs on contiguous blocks (NumPy is
    about three times slower on column slices of a ``(N, 4H)`` array). The sigmoids are
    ``(1 + tanh(a/2)) / 2`` with the ``o, i, f`` columns of ``W`` halved beforehand (exact
    in floating point), so one ``tanh`` covers all four gates. The backward loop works one
    step at a time in place, so a step's arrays stay in cache.
    """
    steps, batch, hidden = _check(x, h0, w_ih, w_hh, 4, "lstm")
    if c0.array.shape != h0.array.shape:
        raise ValueError(f"lstm: expected the initial cell state of shape {h0.array.shape}, got "
                         f"{c0.array.shape}")
    dtype, features = x.array.dtype, x.array.shape[2]
    width = 1 + features + hidden  # a row of xh: [1, x_t, h_prev]
    bias = _bias_sum(b_ih, b_hh)
    blocks = [slice(p * hidden, (p + 1) * hidden) for p in LSTM_ORDER]
    weights = xp.empty((4, width, hidden), dtype=dtype)  # W per gate, halved for o, i, f
    for j, rows in enumerate(blocks):
        weights[j, 0] = 0 if bias is None else bias[rows]
        weights[j, 1:1 + features] = w_ih.array[rows].T
        weights[j, 1 + features:] = w_hh.array[rows].T
    weights[:3] *= 0.5
    xh = xp.empty((steps, batch, width), dtype=dtype)
    xh[..., 0] = 1
    xh[..., 1:1 + features] = x.array
    first, last = (steps - 1, 0) if reverse else (0, steps - 1)
    xh[first, :, 1 + features:] = h0.array
    step = -1 if reverse else 1
    gates = xp.empty((4, steps, batch, hidden), dtype=dtype)
    packed = xp.empty((steps + 1, batch, hidden), dtype=dtype)  # h_1..h_T, then c_n
    hs = packed[:steps]
    cs = xp.empty((steps, batch, hidden), dtype=dtype)
    tanh_c = xp.empty_like(cs)
    ig = xp.empty((batch, hidden), dtype=dtype)
    c = c0.array
    threads = _step_threads(batch, hidden, 4)
    with blas_threads(threads):
        for t in _order(steps, reverse):
            a = gates[:, t]
            xp.matmul(xh[t], weights, out=a)
            xp.tanh(a, out=a)
            a[:3] *= 0.5
            a[:3] += 0.5
            o, i, f, g = a
            xp.multiply(f, c, out=cs[t])
            xp.multiply(i, g, out=ig)
            cs[t] += ig
            xp.tanh(cs[t], out=tanh_c[t])
            xp.multiply(o, tanh_c[t], out=hs[t])
            if t != last:
                xh[t + step, :, 1 + features:] = hs[t]
            c = cs[t]
    packed[steps] = c

    def backward(gp: Array) -> list[Array | None]:
        dA = xp.empty_like(gates)
        dc = gp[steps].copy()
        u = xp.empty((batch, hidden), dtype=dtype)  # work buffers, reused every step
        back = xp.empty((4, batch, hidden), dtype=dtype)
        dh_sum = xp.empty((batch, hidden), dtype=dtype)
        w_hh4 = xp.stack([w_hh.array[rows] for rows in blocks])  # (4, H, H), unscaled
        dh = None
        for t in _order(steps, not reverse):
            o, i, f, g = gates[:, t]
            do, di, df, dg = dA[:, t]
            tc = tanh_c[t]
            if dh is None:
                dh = gp[t]
            else:
                dh += gp[t]
            xp.multiply(tc, tc, out=u)  # dc += dh_t o (1 - tanh(c_t)^2)
            xp.subtract(1, u, out=u)
            u *= o
            u *= dh
            dc += u
            xp.subtract(1, o, out=do)  # dA_o = dh_t tanh(c_t) o (1 - o)
            do *= o
            do *= tc
            do *= dh
            dif = dA[1:3, t]  # dA_i = dc g i (1 - i), dA_f = dc c_{t-1} f (1 - f)
            xp.subtract(1, gates[1:3, t], out=dif)
            dif *= gates[1:3, t]
            di *= g
            df *= c0.array if t == first else cs[t - step]
            dif *= dc
            xp.multiply(g, g, out=dg)  # dA_g = dc i (1 - g^2)
            xp.subtract(1, dg, out=dg)
            dg *= i
            dg *= dc
            dc *= f  # dL/dc_{t-1} through c_t = f c_{t-1} + ...
            xp.matmul(dA[:, t], w_hh4, out=back)  # dh = sum over gates of dA_j W_hh_j
            dh = xp.add(back[0], back[1], out=dh_sum)
            dh += back[2]
            dh += back[3]
        rows = steps * batch
        flat = dA.reshape(4, rows, hidden)
        dW = xp.matmul(flat.transpose(0, 2, 1), xh.reshape(rows, width))  # (4, H, 1 + I + H)
        need = [t is not None and t.requires_grad for t in (w_ih, w_hh, b_ih, b_hh)]
        grads: list[Array | None] = [None] * 4
        for k, (lo, hi, full) in enumerate(((1, 1 + features, w_ih), (1 + features, width,
                                                                        w_hh))):
            if need[k]:
                grads[k] = xp.empty_like(full.array)
                for j, rows_j in enumerate(blocks):
                    grads[k][rows_j] = dW[j, :, lo:hi]
        if need[2] or need[3]:
            db = xp.empty(4 * hidden, dtype=dtype)
            for j, rows_j in enumerate(blocks):
                db[rows_j] = dW[j, :, 0]
            grads[2] = db if need[2] else None
            grads[3] = (db.copy() if need[2] else db) if need[3] else None
        dx = None
        if x.requires_grad:
            w_ih4 = xp.stack([w_ih.array[rows_j] for rows_j in blocks])  # (4, H, I)
            dx = xp.matmul(flat, w_ih4).sum(axis=0).reshape(steps, batch, features)
        return _present((dx, dh, dc, *grads), (x, h0, c0, w_ih, w_hh, b_ih, b_hh))

    result = make_result(packed, _parents(x, h0, c0, w_ih, w_hh, b_ih, b_hh),
                         _with_threads(backward, threads))
    output = _first_steps(result, steps)
    return output, take_step(result, last), take_step(result, steps)


def _first_steps(packed: Tensor, steps: int) -> Tensor:
    """``packed[:steps]`` (the outputs of an LSTM without its cell state row); the gradient
    of the dropped row is zero."""
    pd = packed.array

    def backward(g: Array) -> tuple[Array]:
        gp = xp.empty_like(pd)
        gp[:steps] = g
        gp[steps] = 0
        return (gp,)

    return make_result(pd[:steps], (packed,), backward)


# --------------------------------------------------------------------------- GRU
def gru(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """Gated recurrent unit over a sequence: ``(output (T, N, H), h_n (N, H))``.

    Forward, with the blocks ``r, z, n`` of ``p_t = x_t W_ih^T + b_ih`` and
    ``q_t = h_{t-1} W_hh^T + b_hh`` (PyTorch's order and its ``b_hn`` inside ``r * (...)``)::

        r = s(p_r + q_r)    z = s(p_z + q_z)    n = tanh(p_n + r q_n)
        h_t = (1 - z) n + z h_{t-1}

    Backward, ``t`` from the last step run to the first, ``dh`` carrying ``dL/dh_t``; ``dP``
    and ``dQ`` are the gradients of ``p_t`` and ``q_t``::

        dh_t = g_t + dh
        dP_n = dh_t (1 - z) (1 - n^2)        dQ_n = dP_n r
        dP_z = dQ_z = dh_t (h_{t-1} - n) z (1 - z)
        dP_r = dQ_r = dP_n q_n r (1 - r)
        dh <- dh_t z + dQ_t W_hh
    """
    steps, batch, hidden = _check(x, h0, w_ih, w_hh, 3, "gru")
    dtype = x.array.dtype
    whh_t = xp.ascontiguousarray(w_hh.array.T)  # BLAS is ~2x faster on it than on a view
    bhh = None if b_hh is None else b_hh.array
    p = _project(x.array, w_ih.array, None if b_ih is None else b_ih.array)  # then r, z, n
    q_n = xp.empty((steps, batch, hidden), dtype=dtype)
    hs = xp.empty((steps, batch, hidden), dtype=dtype)
    rz = slice(0, 2 * hidden)
    h = h0.array
    threads = _step_threads(batch, hidden, 3)
    with blas_threads(threads):
        for t in _order(steps, reverse):
            a = p[t]
            q = h @ whh_t
            if bhh is not None:
                q += bhh
            a[:, rz] += q[:, rz]
            _sigmoid_(a[:, rz])
            r, z, n = (a[:, k * hidden:(k + 1) * hidden] for k in range(3))
            q_n[t] = q[:, 2 * hidden:]
            n += r * q_n[t]
            xp.tanh(n, out=n)
            xp.subtract(h, n, out=hs[t])  # h_t = n + z (h_{t-1} - n)
            hs[t] *= z
            hs[t] += n
            h = hs[t]

    def backward(g: Array) -> list[Array | None]:
        dP = xp.empty_like(p)
        dQ_n = xp.empty_like(q_n)
        dh = None
        first = steps - 1 if reverse else 0
        for t in _order(steps, not reverse):
            r, z, n = (p[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
            dr, dz, dn = (dP[t][:, k * hidden:(k + 1) * hidden] for k in range(3))
            h_prev = h0.array if t == first else hs[t + 1 if reverse else t - 1]
            dh_t = g[t] if dh is None else g[t] + dh
            xp.multiply(dh_t, 1 - z, out=dn)
            dn *= 1 - n * n
            xp.multiply(dn, r, out=dQ_n[t])
            xp.multiply(dn, q_n[t], out=dr)
            dr *= r * (1 - r)
            xp.subtract(h_prev, n, out=dz)
            dz *= dh_t
            dz *= z * (1 - z)
            dh = dh_t * z
            dh += dP[t][:, rz] @ w_hh.array[rz]
            dh += dQ_n[t] @ w_hh.array[2 * hidden:]
        dQ = dP.copy()
        dQ[..., 2 * hidden:] = dQ_n
        grads = _weight_grads(dP, x.array, _previous_states(h0.array, hs, reverse), w_ih, w_hh,
                              b_ih, b_hh, x.requires_grad, dA_hh=dQ)
        return _present((grads[0], dh, *grads[1:]), (x, h0, w_ih, w_hh, b_ih, b_hh))

    output = make_result(hs, _parents(x, h0, w_ih, w_hh, b_ih, b_hh),
                         _with_threads(backward, threads))
    return output, take_step(output, 0 if reverse else steps - 1)


__all__ = ["rnn", "lstm", "gru", "take_step", "ACTIVATIONS"]
