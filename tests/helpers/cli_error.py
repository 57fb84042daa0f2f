"""The check every bad-input test makes of the ``telar`` command: exit status 2 and one
``telar: error:`` line naming what is wrong, no traceback, no warning."""

from __future__ import annotations

import pytest

from telar.app.cli import main


def one_line_error(capsys, argv: list[str], *fragments: str, progress_lines: bool = False) -> str:
    """Run ``telar argv`` in-process; return its error line, which must hold ``fragments``.

    With ``progress_lines`` the error may follow the lines of a run that had started
    ("training ...", epochs); otherwise it must be all that standard error holds.
    """
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("telar: error:"), err
    assert len(err) == 1 or progress_lines, err
    assert "Traceback" not in "\n".join(err) and "Warning" not in "\n".join(err)
    for fragment in fragments:
        assert fragment in err[-1], err[-1]
    return err[-1]
