"""telar.gradcheck itself: it fails a wrong backward rule and samples as many entries as it
is told."""

from __future__ import annotations

from helpers.engine import leaf

import telar


def test_gradcheck_reports_a_wrong_backward_rule():
    from telar.engine import make_result

    def wrong_square(x):  # d(x^2)/dx is 2x, not x
        return make_result(x.array ** 2, (x,), lambda g: (g * x.array,))

    report = telar.gradcheck(wrong_square, [leaf((3,), 0, 0.5, 1.5)])
    assert not report
    assert report.entries[0].max_rel_error > 0.3
    assert "FAIL" in report.table()


def test_gradcheck_samples_at_most_max_entries_per_tensor():
    report = telar.gradcheck(lambda x: (x * x).sum(), [leaf((10, 10), 0)], max_entries=7)
    assert report and report.entries[0].checked == 7
