"""The standard small CNN's training step in telar against PyTorch on the CPU, and inference.

The network (issue 8's speed target): conv 1->32 3x3 pad 1, ReLU, max-pool 2, conv 32->64 3x3
pad 1, ReLU, max-pool 2, flatten, linear 3136->128, ReLU, linear 128->10; Adam (lr 1e-3),
batch 128, real Fashion-MNIST images (float32, (N, 1, 28, 28)), both frameworks starting from
the same weights and taking the same batches.

Peers run in this one process, interleaved round by round: each round is ``--batches``
training steps (default 100) of telar, then of PyTorch at each thread setting. The table gives
the median seconds per round, the per-epoch time extrapolated to 469 batches (60,000 images;
labelled as such: it is not a measured epoch unless ``--batches 469``), and the ratios to
PyTorch's fastest setting. telar runs with 1 and with all BLAS threads (``--telar-threads``),
with :func:`telar.engine.cpu.memory.retain_freed_memory` on (``--no-retain`` to compare; it
affects the whole process, PyTorch's steps included).

Then, for telar, each layer's share of a step (forward + backward, timed separately per
layer) and the GFLOP/s its matrix products reach against a float32 GEMM peak measured here
(``np.matmul`` of two 2048x2048 matrices), and inference images/s on the 10,000 test images
(batches of 1,000, evaluation mode, no graph) for both frameworks.

    PYTHONPATH=src python benchmarks/bench_cnn.py [--batches 100] [--rounds 5] [--data DIR]
        [--torch-threads 1,2] [--telar-threads 1,2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402

import telar  # noqa: E402
from telar import nn, optim  # noqa: E402
from telar.engine.cpu.memory import retain_freed_memory  # noqa: E402
from telar.engine.cpu.threads import blas_threads  # noqa: E402
from telar.engine.cpu.workers import workers  # noqa: E402
from telar.engine.functional import cross_entropy  # noqa: E402
from telar.nn import build_sequential  # noqa: E402

ARCH = ("conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) "
        "relu linear(10)")
BATCH = 128
LR = 1e-3
EPOCH_BATCHES = 469  # ceil(60000 / 128)


def batches(n_images: int, count: int, seed: int) -> list[np.ndarray]:
    """``count`` index batches of a seeded shuffle (cycled): the same for every peer."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n_images) for _ in range(-(-count * BATCH //
                                                                        n_images))])
    return [order[i * BATCH:(i + 1) * BATCH] for i in range(count)]


def telar_steps(model: nn.Sequential, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray],
                threads: int | None) -> Callable[[], None]:
    opt = optim.Adam(model.parameters(), lr=LR)
    xb = np.empty((BATCH, *x.shape[1:]), x.dtype)
    yb = np.empty(BATCH, y.dtype)

    def run() -> None:
        model.train()
        with blas_threads(threads):
            for b in idx:
                np.take(x, b, axis=0, out=xb)
                np.take(y, b, out=yb)
                loss = cross_entropy(model(telar.Tensor(xb)), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()

    return run


def torch_model(model: nn.Sequential):
    """The same architecture and weights in PyTorch."""
    import torch

    layers = []
    for m in model:
        if isinstance(m, nn.Conv2d):
            layer = torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride,
                                    m.padding, m.dilation)
        elif isinstance(m, nn.Linear):
            layer = torch.nn.Linear(m.in_features, m.out_features)
        else:
            layers.append({nn.ReLU: torch.nn.ReLU, nn.Flatten: torch.nn.Flatten}.get(
                type(m), lambda m=m: torch.nn.MaxPool2d(m.kernel_size, m.stride))())
            continue
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(m.weight.array))
            layer.bias.copy_(torch.from_numpy(m.bias.array))
        layers.append(layer)
    return torch.nn.Sequential(*layers)


def torch_steps(tmodel, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray],
                threads: int) -> Callable[[], None]:
    import torch

    opt = torch.optim.Adam(tmodel.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    tidx = [torch.from_numpy(b) for b in idx]

    def run() -> None:
        torch.set_num_threads(threads)
        tmodel.train()
        for b in tidx:
            loss = torch.nn.functional.cross_entropy(tmodel(xt.index_select(0, b)),
                                                     yt.index_select(0, b))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return run


def gemm_peak(threads: int | None, size: int = 2048, repeats: int = 5) -> float:
    """Best float32 GFLOP/s of ``np.matmul`` on two ``size x size`` matrices (CPU time with
    one thread, as the per-layer table; wall time otherwise)."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    clock = time.process_time if threads == 1 and workers() == 1 else time.perf_counter
    best = float("inf")
    with blas_threads(threads):
        a @ a
        for _ in range(repeats):
            t0 = clock()
            a @ a
            best = min(best, clock() - t0)
    return 2 * size ** 3 / best / 1e9


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def layer_flops(model: nn.Sequential, batch: int) -> list[float]:
    """FLOPs of each layer's matrix products per step: forward, weight gradient and (except for
    the first layer, whose input needs no gradient) input gradient, ``2 M K N`` each."""
    flops, shape, first = [], model.input_shape, True
    for m, out in zip(model, model.shapes, strict=True):
        if isinstance(m, nn.Conv2d):
            one = 2.0 * batch * out[1] * out[2] * m.out_channels * shape[0] * \
                m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            one = 2.0 * batch * m.in_features * m.out_features
        else:
            one = 0.0
        flops.append(one * (2 if first else 3))
        first = first and one == 0.0
        shape = out
    return flops


def layer_times(model: nn.Sequential, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray],
                threads: int | None) -> tuple[list[float], float]:
    """Median seconds per layer (forward + backward) and for the loss + Adam step.

    With one BLAS thread and one chunk worker (:mod:`telar.engine.cpu.workers`) the clock is the
    process's CPU time (what the layer computed, not
    how long a busy neighbour held the core); with more, wall time. Each layer of the
    standard CNN is one node of the graph, so its output's backward rule is its backward.
    Layers run as ``Sequential`` runs them: a ReLU next to a max-pool is fused into it
    (:func:`telar.engine.pooling.max_pool2d_relu`), and the fused step's time is reported on
    the max-pool's row, 0 on the ReLU's; the rows are in the written order.
    """
    clock = time.process_time if threads == 1 and workers() == 1 else time.perf_counter
    fwd: list[list[float]] = [[0.0] * len(idx) for _ in model]
    bwd: list[list[float]] = [[0.0] * len(idx) for _ in model]
    rest: list[float] = []
    opt = optim.Adam(model.parameters(), lr=LR)
    model.train()
    position = {id(m): i for i, m in enumerate(model)}
    # a fused ReLU + max-pool step is timed as the max-pool
    order = [(position[id(getattr(m, "pool", m))], m) for m in getattr(model, "_order", model)]
    with blas_threads(threads):
        for step, b in enumerate(idx):
            h = telar.Tensor(x[b])
            outs = []
            for i, m in order:
                t0 = clock()
                h = m.forward(h)  # as Sequential calls it (no hooks)
                fwd[i][step] = clock() - t0
                outs.append((i, h))
            t0 = clock()
            loss = cross_entropy(h, y[b])
            g = loss._backward(np.ones((), h.dtype))[0]
            rest.append(clock() - t0)
            for i, out in reversed(outs):  # each layer's own backward rule
                t0 = clock()
                grads = out._backward(g)
                bwd[i][step] = clock() - t0
                for p, pg in zip(model[i].parameters(), grads[1:], strict=False):
                    p.grad = pg
                g = grads[0]
                if g is None:
                    break
            t0 = clock()
            opt.step()
            rest[-1] += clock() - t0
    sums = [statistics.median([a + b for a, b in zip(f, w, strict=True)])
            for f, w in zip(fwd, bwd, strict=True)]
    return sums, statistics.median(rest)


def inference_rate(forward: Callable[[np.ndarray], object], images: np.ndarray,
                   batch: int = 1000) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(images), batch):
        forward(images[start:start + batch])
    return len(images) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", default=None)
    parser.add_argument("--torch-threads", default="1,2")
    parser.add_argument("--telar-threads", default="1,2")
    parser.add_argument("--skip-inference", action="store_true")
    parser.add_argument("--no-retain", action="store_true",
                        help="leave glibc's malloc as it is (see telar.engine.cpu.memory)")
    args = parser.parse_args(argv)
    import torch

    if not args.no_retain:
        print(f"telar.engine.cpu.memory.retain_freed_memory(): {retain_freed_memory()}")

    print(f"telar convolution chunk threads (telar.engine.cpu.workers): {workers()}")
    default_threads = torch.get_num_threads()
    train_x, train_y, test_x, _ = load_benchmark_data(args.data)
    train_x = train_x.reshape(-1, 1, 28, 28)
    test_x = test_x.reshape(-1, 1, 28, 28)
    idx = batches(len(train_x), args.batches, seed=0)
    telar_settings = [int(t) for t in args.telar_threads.split(",")]
    torch_settings = [int(t) for t in args.torch_threads.split(",")]

    peers: dict[str, Callable[[], None]] = {}
    for t in telar_settings:
        model = build_sequential(ARCH, (1, 28, 28), seed=0)
        peers[f"telar ({t} BLAS thread{'s' if t > 1 else ''})"] = telar_steps(
            model, train_x, train_y, idx, t)
    reference = build_sequential(ARCH, (1, 28, 28), seed=0)
    for t in torch_settings:
        peers[f"PyTorch CPU ({t} thread{'s' if t > 1 else ''})"] = torch_steps(
            torch_model(reference), train_x, train_y, idx, t)
    times: dict[str, list[float]] = {name: [] for name in peers}
    cpu: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(args.rounds):
        for name, run in peers.items():
            c0 = time.process_time()
            times[name].append(_timed(run))
            cpu[name].append(time.process_time() - c0)

    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    ref = min(v for k, v in med.items() if k.startswith("PyTorch"))
    ref_best = min(v for k, v in best.items() if k.startswith("PyTorch"))
    per_epoch = EPOCH_BATCHES / args.batches
    print(f"\nStandard CNN, Adam, batch {BATCH}: {args.rounds} interleaved rounds of "
          f"{args.batches} steps each (same batches, same initial weights)")
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    print("| implementation | s per round (median) | ms/step | s/epoch extrapolated to 469 "
          "batches | median vs PyTorch best | best round vs PyTorch best | CPU ms/step "
          "(all threads) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in peers:
        print(f"| {name} | {med[name]:.2f} | {1000 * med[name] / args.batches:.1f} | "
              f"{med[name] * per_epoch:.1f} | {med[name] / ref:.2f}x | "
              f"{best[name] / ref_best:.2f}x | {1000 * cpu_med[name] / args.batches:.1f} |")
    print("(CPU time is the work done, less sensitive to neighbours than wall time; on a busy "
          "machine compare the 1-thread rows' CPU time too)")

    fastest = min(telar_settings, key=lambda t: med[
        f"telar ({t} BLAS thread{'s' if t > 1 else ''})"])
    peak = gemm_peak(fastest)
    model = build_sequential(ARCH, (1, 28, 28), seed=0)
    per_layer, rest = layer_times(model, train_x, train_y, idx[:min(20, len(idx))], fastest)
    flops = layer_flops(model, BATCH)
    total = sum(per_layer) + rest
    print(f"\ntelar per layer ({fastest} BLAS thread{'s' if fastest > 1 else ''}; float32 GEMM "
          f"peak measured here: {peak:.0f} GFLOP/s), median ms per step, forward + backward "
          f"({'CPU time' if fastest == 1 and workers() == 1 else 'wall time'}; "
          f"{workers()} convolution chunk thread{'s' if workers() > 1 else ''})")
    print("| layer | ms | share | GFLOP/s (matrix products) | of peak |")
    print("|---|---:|---:|---:|---:|")
    fused = {id(step.relu) for step in model._order if hasattr(step, "pool")}
    for m, s, f in zip(model, per_layer, flops, strict=True):
        rate = f"{f / s / 1e9:.0f} | {f / s / 1e9 / peak:.0%}" if f else "- | -"
        name = f"{m!r:.60}" + (" (fused into the max-pool)" if id(m) in fused else "")
        print(f"| {name} | {1000 * s:.1f} | {s / total:.0%} | {rate} |")
    print(f"| loss + Adam step | {1000 * rest:.1f} | {rest / total:.0%} | - | - |")
    print(f"| total | {1000 * total:.1f} | 100% | {sum(flops) / total / 1e9:.0f} | "
          f"{sum(flops) / total / 1e9 / peak:.0%} |")

    if not args.skip_inference:
        tmodel = torch_model(model).eval()
        model.eval()

        def ours(xs: np.ndarray) -> object:
            with telar.no_grad(), blas_threads(fastest):
                return model(telar.Tensor(xs)).array

        rates = {"telar": inference_rate(ours, test_x)}
        for t in torch_settings:
            torch.set_num_threads(t)
            with torch.no_grad():
                rates[f"PyTorch CPU ({t} threads)"] = inference_rate(
                    lambda xs: tmodel(torch.from_numpy(xs)), test_x)
        for _ in range(2):  # a second pass each, interleaved; keep the best
            rates["telar"] = max(rates["telar"], inference_rate(ours, test_x))
            for t in torch_settings:
                torch.set_num_threads(t)
                with torch.no_grad():
                    key = f"PyTorch CPU ({t} threads)"
                    rates[key] = max(rates[key], inference_rate(
                        lambda xs: tmodel(torch.from_numpy(xs)), test_x))
        print("\nInference on the 10,000 test images, batches of 1,000 (best of 3 passes)")
        print("| implementation | images/s |")
        print("|---|---:|")
        for name, rate in rates.items():
            print(f"| {name} | {rate:,.0f} |")
    torch.set_num_threads(default_threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
