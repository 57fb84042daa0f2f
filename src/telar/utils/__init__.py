"""``telar.utils``: ``telar.utils.data`` (Dataset, DataLoader...), as ``torch.utils``."""

from telar.utils import data

__all__ = ["data"]
