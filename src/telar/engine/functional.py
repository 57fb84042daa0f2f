"""Every differentiable operation of the engine under one name: ``F`` in telar's own code.

PyTorch's ``torch.nn.functional`` (:mod:`telar.nn.functional`) and telar's ``telar.functional``
are this namespace. Each operation lives, forward beside backward, in the module of its kind:

- :mod:`~telar.engine.arithmetic`: ``+ - * / ** @``, ``linear``, ``exp``, ``log``, ``sqrt``,
  ``abs``, ``clamp``, ``maximum``, ``minimum``, ``where``
- :mod:`~telar.engine.elementwise`: ``sin``, ``cos``, ``tan``, their inverses, the hyperbolic
  functions and theirs, ``log1p``, ``expm1``, ``round``
- :mod:`~telar.engine.reductions`: ``sum``, ``mean``, ``max``, ``min``
- :mod:`~telar.engine.shapes`: ``reshape``, ``transpose``, indexing, ``gather``,
  ``concatenate``, ``stack``, ``flatten``, ``squeeze``, ``unsqueeze``, ``cast``
- :mod:`~telar.engine.activations`: ``relu``, ``leaky_relu``, ``elu``, ``sigmoid``, ``tanh``,
  ``gelu``, ``softmax``, ``log_softmax``
- :mod:`~telar.engine.losses`: ``cross_entropy`` (fused), ``nll_loss``, ``mse_loss``,
  ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy[_with_logits]``
- :mod:`~telar.engine.regularisation`: ``dropout``, ``dropout2d``
- :mod:`~telar.engine.normalisation`: ``batch_norm`` (1-D and 2-D), ``batch_norm2d``
- :mod:`~telar.engine.conv`: ``conv2d``;  :mod:`~telar.engine.pooling`: ``max_pool2d``,
  ``avg_pool2d``, ``adaptive_avg_pool2d``, ``max_pool2d_relu``
"""

from telar.engine.activations import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from telar.engine.arithmetic import (
    abs,
    add,
    clamp,
    div,
    exp,
    linear,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    unbroadcast,
    where,
)
from telar.engine.conv import conv2d
from telar.engine.elementwise import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    cos,
    cosh,
    expm1,
    log1p,
    round,
    sin,
    sinh,
    tan,
)
from telar.engine.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    fused_cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from telar.engine.normalisation import batch_norm, batch_norm2d
from telar.engine.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_pool2d_relu
from telar.engine.reductions import max, mean, min, sum
from telar.engine.regularisation import dropout, dropout2d
from telar.engine.shapes import (
    cast,
    concatenate,
    flatten,
    gather,
    getitem,
    reshape,
    squeeze,
    stack,
    to_device,
    transpose,
    unsqueeze,
)
from telar.engine.windows import output_size

__all__ = [
    "abs", "add", "clamp", "div", "exp", "linear", "log", "matmul", "maximum", "minimum", "mul",
    "neg", "pow", "sqrt", "sub", "unbroadcast", "where",
    "max", "mean", "min", "sum",
    "cast", "concatenate", "flatten", "gather", "getitem", "reshape", "squeeze", "stack",
    "to_device", "transpose", "unsqueeze",
    "elu", "gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "fused_cross_entropy", "huber_loss", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss",
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "expm1", "log1p", "round",
    "sin", "sinh", "tan",
    "dropout", "dropout2d", "batch_norm", "batch_norm2d",
    "conv2d", "adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "max_pool2d_relu",
    "output_size",
]
