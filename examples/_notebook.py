"""Stand-ins for the two notebook-only modules d2l's helpers import (``IPython.display`` and
``matplotlib_inline.backend_inline``), so the helpers run as a plain script: the figure is
drawn but not displayed. This file is telar's, not d2l's."""

from types import SimpleNamespace


def _ignore(*args, **kwargs):
    return None


display = SimpleNamespace(display=_ignore, clear_output=_ignore)
backend_inline = SimpleNamespace(set_matplotlib_formats=_ignore)
