"""The report's claims (design.md) checked against what a run measured.

Each claim is a predicate over the measured mark states; the table says whether it holds and,
when it does not, a sentence with the measured numbers. "Loss" is the training loss (the
report plots the loss of its training loop); "accuracy" is checked on the test set, with the
training accuracy reported beside it. Thresholds for the report's vaguer words: "about 0.5"
is 0.4-0.6, "near 1" is at least 0.95, "about 3 points better" is 1-5 points better, "badly
predicted" is a test recall below 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

from telar.app.reproduce.experiment import MarkState

COAT = 4


@dataclass
class ClaimCheck:
    epoch: int | None
    claim: str
    measured: str
    holds: bool | None  # None: the run did not reach that mark
    note: str = ""


def _recall(state: MarkState, cls: int) -> float:
    row = state.test_confusion[cls]
    return float(row[cls] / row.sum()) if row.sum() else float("nan")


def check_marks(marks: dict[int, MarkState]) -> list[ClaimCheck]:
    checks: list[ClaimCheck] = []

    def measured(s: MarkState) -> str:
        return (f"train loss {s.train_loss:.3f}, test acc {s.test_accuracy:.3f} "
                f"(train acc {s.train_accuracy:.3f})")

    s = marks.get(20)
    if s:
        ok_l, ok_a = s.train_loss > 2.2, s.test_accuracy < 0.5
        note = "" if ok_l and ok_a else (
            f"At 20 epochs telar measures loss {s.train_loss:.3f}"
            f"{'' if ok_l else ' (not above 2.2)'} and accuracy {s.test_accuracy:.3f}"
            f"{'' if ok_a else ' (not below 0.5)'}.")
        checks.append(ClaimCheck(20, "loss > 2.2 and accuracy < 0.5", measured(s),
                                 ok_l and ok_a, note))
    s = marks.get(200)
    if s:
        ok_l, ok_a = s.train_loss < 1.2, s.test_accuracy > 0.5
        checks.append(ClaimCheck(200, "loss < 1.2 and accuracy > 0.5", measured(s),
                                 ok_l and ok_a, "" if ok_l and ok_a else
                                 f"At 200 epochs the loss is {s.train_loss:.3f} and the "
                                 f"accuracy {s.test_accuracy:.3f}."))
        rec = _recall(s, COAT)
        recalls = [_recall(s, c) for c in range(s.test_confusion.shape[0])]
        worst = min(range(len(recalls)), key=lambda c: recalls[c])
        checks.append(ClaimCheck(200, "class 4 (Coat) badly predicted (test recall < 0.5)",
                                 f"Coat recall {rec:.3f}; lowest recall: class {worst} "
                                 f"({recalls[worst]:.3f})", rec < 0.5,
                                 "" if rec < 0.5 else
                                 f"Coat's test recall at 200 epochs is {rec:.3f}; the worst "
                                 f"class is {worst} at {recalls[worst]:.3f}."))
    s = marks.get(1000)
    if s:
        ok_l = 0.4 <= s.train_loss <= 0.6
        ok_a = s.test_accuracy >= 0.95
        checks.append(ClaimCheck(1000, "loss about 0.5 (0.4-0.6)", measured(s), ok_l,
                                 "" if ok_l else f"The loss at 1000 epochs is "
                                 f"{s.train_loss:.3f}, not about 0.5."))
        checks.append(ClaimCheck(1000, 'accuracy "near 1" (>= 0.95)', measured(s), ok_a,
                                 "" if ok_a else f"Test accuracy at 1000 epochs is "
                                 f"{s.test_accuracy:.3f} (train {s.train_accuracy:.3f}), "
                                 "well short of 1."))
    s, before = marks.get(2000), marks.get(1000)
    if s:
        ok_l = s.train_loss < 0.5
        checks.append(ClaimCheck(2000, "loss < 0.5", measured(s), ok_l, "" if ok_l else
                                 f"The loss at 2000 epochs is {s.train_loss:.3f}."))
        if before:
            gain = 100 * (s.test_accuracy - before.test_accuracy)
            ok = 1.0 <= gain <= 5.0
            checks.append(ClaimCheck(2000, "about 3 points more accuracy than at 1000 (1-5)",
                                     f"{gain:+.1f} points (test)", ok, "" if ok else
                                     f"From 1000 to 2000 epochs test accuracy moves "
                                     f"{gain:+.1f} points."))
    return checks


def check_high_lr(rows: list[dict]) -> ClaimCheck | None:
    """The history claim: higher learning rates put every image in one class."""
    if not rows:
        return None
    collapsed = [r for r in rows if r["largest_class_share"] >= 0.9]
    stable = [r for r in rows if r["softmax"] == "stable"]
    stable_collapsed = [r for r in stable if r["largest_class_share"] >= 0.9]
    parts = []
    for r in rows:
        parts.append(f"lr {r['lr']:g} {r['softmax']} {r['dtype']}: largest class "
                     f"{r['largest_class_share']:.0%}, test acc {r['test_accuracy']:.3f}"
                     + (f", non-finite from epoch {r['first_nonfinite_epoch']}"
                        if r["first_nonfinite_epoch"] is not None else ""))
    holds = bool(stable_collapsed)
    if holds or not collapsed:
        note = "" if holds else ("No run at a higher learning rate put (nearly) every image in "
                                 "one class.")
    else:
        how = "; ".join(
            f"lr {r['lr']:g} {r['softmax']} {r['dtype']} -> class {r['largest_class']}"
            + (f" after its loss/weights turned non-finite at epoch {r['first_nonfinite_epoch']}"
               if r["first_nonfinite_epoch"] is not None else " with finite values")
            for r in collapsed)
        best = max(stable, key=lambda r: r["test_accuracy"]) if stable else None
        note = (f"Only runs with the report's naive softmax collapse ({how}); with the stable "
                "softmax no higher rate collapses"
                + (f" (best: lr {best['lr']:g}, test acc {best['test_accuracy']:.3f})."
                   if best else "."))
    return ClaimCheck(None, "higher learning rates (1e-3, 1e-2) put every image in one class",
                      "; ".join(parts), holds, note)
