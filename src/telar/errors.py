"""The errors telar raises for things a user can fix.

Anything raised as a :class:`TelarError` reaches the command line as one line,
``telar: error: <message>``, with exit status 2 and no traceback. The message names
what is wrong and where (file, line, option value), so it must read well on its own.
"""


class TelarError(Exception):
    """A problem with the user's input: a file, an option value, a configuration."""


class ShapeError(TelarError, RuntimeError, ValueError):
    """Tensor shapes that do not fit: ``view`` to an impossible shape, a matrix product of
    mismatched sizes. Worded as PyTorch words it and a :class:`RuntimeError` as PyTorch's, so
    ``except RuntimeError`` catches it; also a ``ValueError`` (what NumPy raised before) and a
    :class:`TelarError` (one line on the command line)."""


class DataError(TelarError):
    """A data file is missing, truncated, corrupt or mislabelled, or no data set can be found."""


class ModelFileError(TelarError):
    """A model or checkpoint file is corrupt, of another format version, or unsafe to load."""


class ConfigError(TelarError):
    """An option or configuration value is out of range or unknown."""


class FileWriteError(TelarError, OSError):
    """A file could not be written: the disk is full, the file too large, the folder read-only.

    Also an :class:`OSError` (with the original ``errno`` and ``filename``), so code that
    handles OS errors keeps working; the message is one line naming the file.
    """

    def __init__(self, path: object, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror, str(path))
        self.message = f"{path}: cannot write: {cause.strerror or cause}"

    def __str__(self) -> str:
        return self.message


class ImageFileError(TelarError):
    """A picture given to predict on is missing, not an image, truncated, corrupt or too large."""
