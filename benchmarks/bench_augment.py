"""Cost of batch augmentation: each op and whole specs, per batch of 128 and per 60,000 images.

Next to it, in the same process and interleaved round by round (so that both see the same
machine load), a PyTorch CPU training step of the issue's standard small CNN (conv 1→32 3×3
pad 1, ReLU, max-pool 2, conv 32→64 3×3 pad 1, ReLU, max-pool 2, linear 3136→128, ReLU,
linear 128→10; batch 128; Adam), timed over a few batches and scaled to an epoch: the price
of augmentation is printed as a share of that epoch. Medians over ``--reps`` rounds.

    PYTHONPATH=src python benchmarks/bench_augment.py [--reps 3] [--cnn-batches 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from _data import load_benchmark_data

from telar.data.augment import Augmenter

BATCH = 128
CASES: dict[str, str] = {
    "shift=2": "shift=2",
    "flip=0.5": "flip",
    "rotate=10 (bilinear)": "rotate=10",
    "rotate=10 (nearest)": "rotate=10,rotate_mode=nearest",
    "erase=0.5 (zero)": "erase=0.5",
    "erase=0.5 (noise)": "erase=0.5,erase_fill=noise",
    "brightness=0.2": "brightness=0.2",
    "contrast=0.2": "contrast=0.2",
    "spec: shift=2,flip": "shift=2,flip",
    "spec: shift=2,flip,erase=0.5": "shift=2,flip,erase=0.5",
    "spec: all six ops": "rotate=10,shift=2,flip,brightness=0.2,contrast=0.2,erase=0.5",
}


def epoch_seconds(augment: Callable, x: np.ndarray, seed: int) -> float:
    """One pass over ``x`` in shuffled batches of 128, as a training loop feeds them."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    total = 0.0
    for i in range(0, len(x), BATCH):
        xb = x[order[i:i + BATCH]]  # the loop's own copy, not augmentation's cost
        start = time.perf_counter()
        augment(xb, rng)
        total += time.perf_counter() - start
    return total


def batch_seconds(augment: Callable, x: np.ndarray, reps: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    xb = x[:BATCH].copy()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        augment(xb, rng)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def torch_cnn_step(x: np.ndarray, y: np.ndarray) -> Callable[[int], float] | None:
    """A function timing ``k`` PyTorch training steps of the standard CNN (None: no torch)."""
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x.reshape(-1, 1, 28, 28))
    yt = torch.from_numpy(y)

    def run(k: int, threads: int) -> float:
        torch.set_num_threads(threads)
        start = time.perf_counter()
        for i in range(k):
            xb, yb = xt[i * BATCH:(i + 1) * BATCH], yt[i * BATCH:(i + 1) * BATCH]
            optimiser.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimiser.step()
        return (time.perf_counter() - start) / k

    run(2, torch.get_num_threads())  # warm-up
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="rounds (epochs per case)")
    parser.add_argument("--batch-reps", type=int, default=200, help="timed single batches")
    parser.add_argument("--cnn-batches", type=int, default=20,
                        help="PyTorch CNN steps timed per round and thread count (0: skip)")
    parser.add_argument("--torch-threads", default="1,2",
                        help="PyTorch thread counts to try; the fastest is the reference")
    args = parser.parse_args(argv)

    x, y, _, _ = load_benchmark_data()
    n_batches = -(-len(x) // BATCH)
    augmenters = {name: Augmenter(text) for name, text in CASES.items()}
    cnn = torch_cnn_step(x, y) if args.cnn_batches else None
    epochs: dict[str, list[float]] = {name: [] for name in CASES}
    threads = [int(t) for t in args.torch_threads.split(",")]
    cnn_steps: dict[int, list[float]] = {t: [] for t in threads}
    for round_ in range(args.reps):
        for name, augment in augmenters.items():
            epochs[name].append(epoch_seconds(augment, x, seed=round_))
        if cnn is not None:
            for t in threads:
                cnn_steps[t].append(cnn(args.cnn_batches, t))
    batches = {name: batch_seconds(augment, x, args.batch_reps, 0)
               for name, augment in augmenters.items()}

    print(f"{len(x)} images, batches of {BATCH} ({n_batches} per epoch); "
          f"medians of {args.reps} epochs, {args.batch_reps} single batches")
    cnn_epoch = None
    if cnn is not None:
        import torch
        for t in threads:
            seconds = statistics.median(cnn_steps[t]) * n_batches
            print(f"PyTorch {torch.__version__} CPU, {t} thread(s), standard CNN + Adam: "
                  f"{seconds:.1f} s per epoch ({args.cnn_batches} steps per round, scaled)")
            cnn_epoch = seconds if cnn_epoch is None else min(cnn_epoch, seconds)
    print(f"\n{'augmentation':<38} {'ms/batch':>9} {'ms/epoch':>9} {'of CNN epoch':>13}")
    for name in CASES:
        epoch = statistics.median(epochs[name])
        share = f"{100 * epoch / cnn_epoch:12.2f}%" if cnn_epoch else f"{'-':>13}"
        print(f"{name:<38} {1e3 * batches[name]:9.3f} {1e3 * epoch:9.0f} {share}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
