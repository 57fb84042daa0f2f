"""``telar.utils``: ``telar.utils.data`` (Dataset, DataLoader...), as ``torch.utils``, and
torchvision's ``utils.make_grid`` / ``utils.save_image`` (``torchvision.utils`` ->
``telar.utils``)."""

from telar.utils import data
from telar.utils.images import make_grid, save_image

__all__ = ["data", "make_grid", "save_image"]
