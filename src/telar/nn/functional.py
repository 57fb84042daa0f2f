"""``telar.nn.functional``: the primitives of :mod:`telar.functional` under PyTorch's path."""

from telar.losses import (  # noqa: F401  (losses composed of the primitives)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    l1_loss,
    mse_loss,
    nll_loss,
)

# isort: split
from telar.functional import *  # noqa: F403
from telar.functional import (  # noqa: F401  (names star-import would skip or shadow)
    abs,
    batch_norm,
    cross_entropy,
    dropout,
    flatten,
    gelu,
    linear,
    log_softmax,
    max,
    min,
    relu,
    softmax,
    sum,
)
from telar.functional_conv import (  # noqa: F401, E402  (the 4-D primitives)
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm2d,
    conv2d,
    dropout2d,
    max_pool2d,
)
