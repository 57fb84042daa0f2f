"""The errors telar raises for things a user can fix.

Anything raised as a :class:`TelarError` reaches the command line as one line,
``telar: error: <message>``, with exit status 2 and no traceback. The message names
what is wrong and where (file, line, option value), so it must read well on its own.
"""


class TelarError(Exception):
    """A problem with the user's input: a file, an option value, a configuration."""


class DataError(TelarError):
    """A data file is missing, truncated, corrupt or mislabelled, or no data set can be found."""


class ModelFileError(TelarError):
    """A model or checkpoint file is corrupt, of another format version, or unsafe to load."""


class ConfigError(TelarError):
    """An option or configuration value is out of range or unknown."""


class ImageFileError(TelarError):
    """A picture given to predict on is missing, not an image, truncated, corrupt or too large."""


def printable(text: str) -> str:
    """``text`` safe to print on one line: control characters (and the surrogates that stand
    for undecodable bytes in file names) become escapes such as ``\\n``, ``\\x1b``, ``\\udcff``.

    >>> printable("shoe\\n.png")
    'shoe\\\\n.png'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape",
                                                      "backslashreplace").decode("ascii")
                   for c in text)
