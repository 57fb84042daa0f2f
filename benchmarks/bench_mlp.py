"""The `mlp` preset's network, one training epoch: telar's autograd engine vs PyTorch (CPU).

Network: 784-1024-512-10, Linear (no bias) -> BatchNorm1d -> ReLU -> Dropout(0.3) per hidden
layer, AdamW (lr 1e-3, weight decay 1e-4), label smoothing 0.1, batch 128, on 60,000 real
Fashion-MNIST images (no augmentation, so only the engines are timed). Both sides draw a fresh
seeded permutation per epoch and gather each batch. Each runs with one thread and with all
threads (PyTorch's default count); ratios are against PyTorch's default. Median seconds per
epoch over several epochs. The machine is shared, and threads that wait for a busy core slow
down a lot: run it more than once.

    PYTHONPATH=src python benchmarks/bench_mlp.py [--epochs 3] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402

from telar.app.runs.build import build_learner
from telar.app.runs.config import build_config
from telar.engine.cpu.threads import blas_threads

BATCH = 128
HIDDEN = "1024,512"


def telar_epoch_times(x, y, epochs: int, threads: int | None) -> list[float]:
    config = build_config({"preset": "mlp", "hidden": HIDDEN, "augment": "none",
                           "schedule": "none", "warmup": "0"})
    learner = build_learner(config, n_inputs=784, n_classes=10, n_train=len(x))
    rng = np.random.default_rng(0)
    learner.set_rng(np.random.default_rng(1))
    times = []
    with blas_threads(threads):
        for _ in range(epochs):
            t0 = time.perf_counter()
            order = rng.permutation(len(x))
            for start in range(0, len(x), BATCH):
                idx = order[start:start + BATCH]
                learner.train_step(x[idx], y[idx])
            times.append(time.perf_counter() - t0)
    return times


def torch_epoch_times(x, y, epochs: int, threads: int) -> list[float]:
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sizes = [784, *map(int, HIDDEN.split(","))]
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out, bias=False), nn.BatchNorm1d(n_out), nn.ReLU(),
                   nn.Dropout(0.3)]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], 10))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    model.train()
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            loss = loss_fn(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    x, y, _, _ = load_benchmark_data(args.data)
    import torch
    threads = torch.get_num_threads()
    rows = [(f"PyTorch CPU ({threads} threads)", torch_epoch_times(x, y, args.epochs, threads)),
            ("PyTorch CPU (1 thread)", torch_epoch_times(x, y, args.epochs, 1)),
            ("telar autograd (1 BLAS thread)", telar_epoch_times(x, y, args.epochs, 1)),
            ("telar autograd (all BLAS threads)", telar_epoch_times(x, y, args.epochs, None))]
    ref = statistics.median(rows[0][1])
    from telar.engine.cpu.threads import matmul_flops, threads_for_flops
    widths = [784, *map(int, HIDDEN.split(",")), 10]
    sizes = list(zip(widths[:-1], widths[1:], strict=True))
    flops = matmul_flops(BATCH, sizes)
    picked = "all BLAS threads" if threads_for_flops(flops) is None else "1 BLAS thread"
    print(f"\n`telar train` uses {picked} here (largest product {flops / 1e6:.0f} MFLOP per "
          "batch; telar.engine.cpu.threads)")
    print(f"\nThe mlp preset's network ({HIDDEN}, BatchNorm, dropout, AdamW, label smoothing), "
          f"batch {BATCH}, {len(x)} images, {args.epochs} epochs each")
    print("| implementation | s/epoch (median) | min | vs PyTorch |")
    print("|---|---:|---:|---:|")
    for name, times in rows:
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {min(times):.2f} | {median / ref:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
