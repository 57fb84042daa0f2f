"""The engine: tensors, the graph, and every differentiable operation, on the array module.

Layout (each module imports only those above it in this list):

- :mod:`~telar.engine.array`: ``xp``, the one seam to NumPy (or a GPU backend);
- :mod:`~telar.engine.grad_mode`, :mod:`~telar.engine.dtypes`, :mod:`~telar.engine.devices`,
  :mod:`~telar.engine.random`: the context an operation runs in;
- :mod:`~telar.engine.tensor`: :class:`Tensor`, ``backward()``, :func:`make_result`;
- the operations, each backward beside its forward: :mod:`~telar.engine.arithmetic`,
  :mod:`~telar.engine.reductions`, :mod:`~telar.engine.shapes`,
  :mod:`~telar.engine.activations`, :mod:`~telar.engine.losses`,
  :mod:`~telar.engine.regularisation`, :mod:`~telar.engine.normalisation`,
  :mod:`~telar.engine.conv`, :mod:`~telar.engine.pooling` (with :mod:`~telar.engine.windows`);
  :mod:`~telar.engine.functional` gathers them; :mod:`~telar.engine.recurrent`: the RNN, LSTM
  and GRU cells over whole sequences (backpropagation through time);
- :mod:`~telar.engine.reference`: plain versions of the tuned kernels (read these first);
- :mod:`~telar.engine.cpu`: the CPU speed machinery (threads, chunks, scratch, memory);
- :mod:`~telar.engine.methods`: the tensor methods that compute (``x + y``, ``x.sum()``);
- :mod:`~telar.engine.gradcheck`: backward rules against central differences.

Importing any engine module imports this package first, which joins the methods to
:class:`Tensor`; so a tensor always has them.
"""

from telar.engine import methods  # noqa: F401  (gives Tensor its computing methods)
from telar.engine.devices import device
from telar.engine.grad_mode import enable_grad, is_grad_enabled, no_grad
from telar.engine.gradcheck import gradcheck
from telar.engine.random import (
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from telar.engine.tensor import Tensor, constant, make_result, tensor

__all__ = ["Tensor", "tensor", "constant", "make_result", "no_grad", "enable_grad",
           "is_grad_enabled", "device", "gradcheck", "Generator", "manual_seed", "seed",
           "initial_seed", "get_rng_state", "set_rng_state"]
