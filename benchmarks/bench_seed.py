"""The report's network, one epoch: telar vs PyTorch (CPU) vs scikit-learn, same data, same run.

Mini-batch epoch: 784-64-32-16-10 ReLU, Adam lr 1e-3, batch 128, a fresh seeded permutation
per epoch and a per-batch gather (both sides), 60,000 real Fashion-MNIST images as float32.
Full-batch epoch: one forward/backward/Adam step on all 60,000 images (the report's epoch).
PyTorch starts from the same initial weights. Each peer runs several epochs; the table gives
the median seconds per epoch and the ratio to PyTorch. Mini-batch rows use one thread on
every side (telar's BLAS, PyTorch, scikit-learn's BLAS): at batch 128 a second thread does not
pay (measured on an idle machine: PyTorch 1.055 s with 1 thread vs 1.071 s with 2) and
PyTorch's spinning OpenMP threads collapse when other jobs share the cores. Full-batch rows
use all threads unless ``--full-threads`` says otherwise (telar: row blocks on that many
threads, each with one BLAS thread).

    PYTHONPATH=src python benchmarks/bench_seed.py [--epochs 5] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402

from telar.engine.cpu.threads import blas_threads
from telar.handwritten import HandwrittenNetwork
from telar.optim import Adam
from telar.train import HandwrittenLearner, fit

BATCH = 128
LR = 1e-3


def time_epochs(run_epoch, epochs: int) -> list[float]:
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - t0)
    return times


def telar_learner() -> HandwrittenLearner:
    learner = HandwrittenLearner(HandwrittenNetwork(seed=0))
    learner.attach_optimizer(Adam([learner.parameter], lr=LR))
    return learner


def telar_minibatch(x, y, epochs):
    """Epochs through telar's training loop (seeded shuffle, batches gathered into buffers)."""
    learner, seeds = telar_learner(), iter(range(epochs))
    return time_epochs(lambda: fit(learner, (x, y), epochs=1, batch_size=BATCH,
                                   seed=next(seeds)), epochs)


def telar_fullbatch(x, y, epochs, threads=None):
    learner = telar_learner()
    learner.workers = threads  # row-block threads, each with one BLAS thread
    return time_epochs(lambda: fit(learner, (x, y), epochs=1, batch_size=None), epochs)


def torch_model(torch):
    net = HandwrittenNetwork(seed=0)
    layers = []
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        lin = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(lin)
        if i < len(net.weights) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_minibatch(x, y, epochs, threads):
    import torch

    torch.set_num_threads(threads)
    model = torch_model(torch)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    loss_fn = torch.nn.functional.cross_entropy

    def epoch():
        order = torch.randperm(xt.shape[0], generator=gen)
        for start in range(0, xt.shape[0], BATCH):
            idx = order[start : start + BATCH]
            xb, yb = xt.index_select(0, idx), yt.index_select(0, idx)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return time_epochs(epoch, epochs)


def torch_fullbatch(x, y, epochs, threads):
    import torch

    torch.set_num_threads(threads)
    model = torch_model(torch)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def epoch():
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return time_epochs(epoch, epochs)


def sklearn_minibatch(x, y, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(64, 32, 16), solver="adam", batch_size=BATCH,
                        learning_rate_init=LR, shuffle=True, random_state=0)
    classes = np.arange(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return time_epochs(lambda: clf.partial_fit(x, y, classes=classes), epochs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data", default=None)
    parser.add_argument("--full-threads", type=int, default=None, metavar="N",
                        help="threads for the full-batch rows, telar and PyTorch (default: "
                             "all); 1 on a machine where other jobs hold the cores")
    parser.add_argument("--torch-default-threads", action=argparse.BooleanOptionalAction,
                        default=True,
                        help="a mini-batch row with PyTorch's default thread count (default: "
                             "on; its OpenMP threads spin-wait and collapse when other jobs "
                             "share the cores: --no-torch-default-threads there)")
    args = parser.parse_args(argv)
    x, y, _, _ = load_benchmark_data(args.data)
    print(f"seconds per epoch, {args.epochs} epochs each:", flush=True)
    import torch

    default_threads = torch.get_num_threads()
    e = args.epochs
    rows = []

    def done(mode, name, times):
        rows.append((mode, name, times))
        print(f"  {mode:10s} {name:30s} " + " ".join(f"{t:.3f}" for t in times), flush=True)

    full = args.full_threads or default_threads
    torch_mini = "PyTorch CPU (1 thread)"
    torch_full = f"PyTorch CPU ({full} threads)"
    with blas_threads(1):
        done("mini-batch", "telar (1 BLAS thread)", telar_minibatch(x, y, e))
        done("mini-batch", "scikit-learn MLPClassifier", sklearn_minibatch(x, y, e))
    done("mini-batch", torch_mini, torch_minibatch(x, y, e, 1))
    if args.torch_default_threads:
        done("mini-batch", f"PyTorch CPU ({default_threads} threads)",
             torch_minibatch(x, y, e, default_threads))
    done("full-batch", f"telar ({full} threads)", telar_fullbatch(x, y, e, args.full_threads))
    done("full-batch", torch_full, torch_fullbatch(x, y, e, full))
    torch.set_num_threads(default_threads)

    medians = {(mode, name): statistics.median(t) for mode, name, t in rows}
    # Ratios against PyTorch's fastest setting measured in this run, never a slower one.
    ref = {mode: min(m for (md, name), m in medians.items()
                     if md == mode and name.startswith("PyTorch"))
           for mode in ("mini-batch", "full-batch")}
    print(f"\nThe report's network (784-64-32-16-10), Adam, {x.shape[0]} images, "
          f"median of {e} epochs; ratios against PyTorch's fastest setting")
    print("| mode | implementation | s/epoch (median) | min | vs PyTorch |")
    print("|---|---|---:|---:|---:|")
    for mode, name, t in rows:
        print(f"| {mode} | {name} | {medians[(mode, name)]:.3f} | {min(t):.3f} | "
              f"{medians[(mode, name)] / ref[mode]:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
