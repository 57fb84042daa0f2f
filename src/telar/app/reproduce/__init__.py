"""``telar reproduce``: rerun the report's experiments and set its claims next to measurements.

:func:`reproduce` trains the report's network full batch (lr 1e-4) once to the last epoch
mark, records the state at every mark (default 20, 200, 1000, 2000), writes per-mark figures
(loss, accuracy, test confusion matrix), ``history.csv``, ``reproduce.json`` and
``reproduce.md``; then it trains at the higher learning rates with the stable softmax and with
the report's naive one (``exp`` without max subtraction, ``log`` of probabilities) to test the
report's statement that high rates put every image in one class.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from telar.app.reproduce.claims import check_high_lr, check_marks
from telar.app.reproduce.experiment import Split, epoch_flops, run_full_batch
from telar.app.reproduce.outputs import (
    high_lr_row,
    write_figures,
    write_history,
    write_json,
    write_markdown,
)
from telar.app.run_folder import ReproduceFolder
from telar.train import NanGuard
from telar.train.callbacks import EpochBar

REPORT_MARKS = (20, 200, 1000, 2000)
HIGH_LRS = (1e-3, 1e-2)


def reproduce(
    train: Split,
    test: Split,
    out: str | Path | ReproduceFolder,
    *,
    class_names: Sequence[str],
    marks: Sequence[int] = REPORT_MARKS,
    lr: float = 1e-4,
    seed: int = 0,
    naive_softmax: bool = False,
    high_lrs: Sequence[float] = HIGH_LRS,
    high_lr_epochs: int = 200,
    progress: bool = True,
    source: str = "",
) -> dict:
    """Run the experiments and write the outputs into the folder ``out``; returns the JSON
    document (``reproduce.json``)."""
    folder = out if isinstance(out, ReproduceFolder) else ReproduceFolder(out)
    marks = sorted(set(int(m) for m in marks))
    sizes = (train.x.shape[1], 64, 32, 16, len(class_names))
    folder.path.mkdir(parents=True, exist_ok=True)
    # The main run stops on a NaN loss (unless it is the naive softmax, whose overflow is
    # what is being studied); the higher-rate runs record where they went non-finite.
    guard = [] if naive_softmax else [NanGuard()]
    run = run_full_batch(train, test, marks, lr=lr, seed=seed, sizes=sizes,
                         naive_softmax=naive_softmax,
                         callbacks=[*guard, EpochBar(f"lr {lr:g}", enabled=progress)])
    high = []
    for rate in high_lrs:
        for naive, dtype in ((False, np.float32), (True, np.float32), (True, np.float64)):
            name = f"lr {rate:g} {'naive' if naive else 'stable'} {np.dtype(dtype).name}"
            r = run_full_batch(train, test, [high_lr_epochs], lr=rate, seed=seed,
                               sizes=sizes, naive_softmax=naive, dtype=dtype,
                               callbacks=[EpochBar(name, enabled=progress)])
            high.append(high_lr_row(r, high_lr_epochs))
    checks = check_marks(run.marks)
    hl = check_high_lr(high)
    if hl is not None:
        checks.append(hl)
    flops = epoch_flops(sizes, len(train.y)) * marks[-1]
    perf = {"seconds": run.seconds, "epochs": marks[-1],
            "seconds_per_epoch": run.seconds / marks[-1],
            "gflops_per_s": flops / run.seconds / 1e9}
    config = {"sizes": list(sizes), "lr": lr, "seed": seed, "marks": marks,
              "naive_softmax": naive_softmax, "high_lrs": list(high_lrs),
              "high_lr_epochs": high_lr_epochs, "train_images": int(len(train.y)),
              "test_images": int(len(test.y)), "data": source, "dtype": run.dtype}
    write_figures(run, folder, class_names)
    write_history(run, folder.history_path)
    write_json(folder.record_path, config, run, high, checks, perf)
    write_markdown(folder.markdown_path, config, run, high, checks, perf)
    return folder.record
