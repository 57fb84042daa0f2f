"""The report's claims checked against measured figures: they hold for figures like the
report's, and fail with a sentence saying why otherwise."""

from __future__ import annotations

import numpy as np

from telar.app.reproduce.claims import check_high_lr, check_marks
from telar.app.reproduce.experiment import MarkState


def mark(epoch, loss, acc, coat_recall=0.9):
    cm = np.eye(10, dtype=np.int64) * 100
    cm[4, 4] = int(100 * coat_recall)
    cm[4, 6] = 100 - cm[4, 4]
    return MarkState(epoch, loss, acc, loss, acc, cm, cm.sum(0).tolist())


def test_claims_hold_for_figures_like_the_reports_and_fail_with_a_sentence_otherwise():
    report_like = {20: mark(20, 2.25, 0.3), 200: mark(200, 1.0, 0.6, coat_recall=0.1),
                   1000: mark(1000, 0.5, 0.96), 2000: mark(2000, 0.45, 0.99)}
    assert all(c.holds for c in check_marks(report_like))
    measured = {20: mark(20, 1.9, 0.55), 200: mark(200, 0.6, 0.78),
                1000: mark(1000, 0.38, 0.86), 2000: mark(2000, 0.33, 0.865)}
    checks = check_marks(measured)
    assert [c.holds for c in checks] == [False, True, False, False, False, True, False]
    assert "0.550 (not below 0.5)" in checks[0].note
    assert "Coat's test recall at 200 epochs is 0.900" in checks[2].note
    assert "+0.5 points" in checks[-1].note


def _row(lr, softmax, share, nonfinite=None, cls=0):
    return {"lr": lr, "softmax": softmax, "dtype": "float32", "largest_class_share": share,
            "largest_class": cls, "test_accuracy": 0.1 if share > 0.9 else 0.8,
            "first_nonfinite_epoch": nonfinite}


def test_high_lr_claim_blames_the_naive_softmax_when_only_it_collapses():
    check = check_high_lr([_row(1e-2, "stable", 0.2), _row(1e-2, "naive", 1.0, nonfinite=12)])
    assert check.holds is False
    assert "naive softmax collapse" in check.note and "epoch 12" in check.note
    assert check_high_lr([_row(1e-2, "stable", 0.95)]).holds is True
    assert check_high_lr([]) is None
