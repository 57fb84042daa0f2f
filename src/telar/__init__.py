"""telar: neural networks written from scratch on NumPy, for Fashion-MNIST and its kin."""

__version__ = "0.1.0"

from telar.autograd import Tensor, enable_grad, is_grad_enabled, no_grad, tensor  # noqa: E402
from telar.gradcheck import gradcheck  # noqa: E402

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "__version__"]
