"""The standard CNN's training step in telar with 1 and with 2 convolution chunk threads.

:mod:`telar.engine.cpu.workers` runs the convolutions' and max-pools' sample chunks on
``WORKERS`` threads. This runs ``--batches`` training steps (Adam, batch 128, real images,
same weights and batches) per setting, interleaved round by round, BLAS on one thread, and
prints the median seconds per step and the ratio to 1 worker. The two settings' final
weights are compared too: the kernels promise the same bits for any number of workers.

    PYTHONPATH=src python benchmarks/bench_conv_workers.py [--batches 30] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402
from bench_cnn import ARCH, _timed, batches, telar_steps  # noqa: E402

from telar.engine.cpu import workers as chunk_workers  # noqa: E402
from telar.engine.cpu.memory import retain_freed_memory  # noqa: E402
from telar.nn import build_sequential  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    retain_freed_memory()
    x, y, _, _ = load_benchmark_data(args.data)
    x = x.reshape(-1, 1, 28, 28)
    idx = batches(len(x), args.batches, seed=0)
    settings = [int(w) for w in args.workers.split(",")]
    models = {w: build_sequential(ARCH, (1, 28, 28), seed=0) for w in settings}
    runs = {w: telar_steps(models[w], x, y, idx, 1) for w in settings}
    times: dict[int, list[float]] = {w: [] for w in settings}
    for _ in range(args.rounds):
        for w in settings:
            chunk_workers.WORKERS = w
            times[w].append(_timed(runs[w]) / args.batches)
    base = statistics.median(times[settings[0]])
    print(f"| chunk threads | ms/step (median of {args.rounds}) | best | vs {settings[0]} |")
    print("|---:|---:|---:|---:|")
    for w in settings:
        med = statistics.median(times[w])
        print(f"| {w} | {1000 * med:.1f} | {1000 * min(times[w]):.1f} | {med / base:.2f}x |")
    first = [p.array for p in models[settings[0]].parameters()]
    same = all(all(np.array_equal(a, p.array) for a, p in zip(
        first, models[w].parameters(), strict=True)) for w in settings[1:])
    print(f"weights after {args.rounds * args.batches} steps identical across settings: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
