"""``telar.backends.mps`` / ``telar.backends.cudnn``: the queries scripts make, answered for a
CPU-only library."""

from types import SimpleNamespace


def _false() -> bool:
    return False


mps = SimpleNamespace(is_available=_false, is_built=_false)
cudnn = SimpleNamespace(is_available=_false, deterministic=False, benchmark=False, enabled=False)

__all__ = ["mps", "cudnn"]
