"""``telar.nn.functional``: the primitives of :mod:`telar.functional` under PyTorch's path."""

from telar.functional import *  # noqa: F403
from telar.functional import (  # noqa: F401  (names star-import would skip or shadow)
    batch_norm,
    cross_entropy,
    dropout,
    gelu,
    linear,
    log_softmax,
    max,
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
