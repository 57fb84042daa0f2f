"""The device check of issue 17, in one script: CuPy against NumPy, then the GPU and many-core
benchmarks, each against PyTorch in the same invocation. Installs nothing, downloads nothing.

Parts (``--part``, default all that the machine allows):

- ``parity``: every engine operation, its gradients, each optimiser's steps and the model
  files, computed on the GPU (CuPy) and on the CPU (NumPy's kernels) from the same float32
  inputs; a row passes when ``max|gpu - cpu| / max|cpu| <= 1e-5`` (1e-4 for three optimiser
  steps, which compound rounding). ``--parity-on generic`` runs the same table on a machine
  without a GPU, the generic path on NumPy standing in for CuPy (a self-test of this script).
- ``gpu``: one epoch (469 batches of 128, Adam) of the small CNN of ``bench_cnn.py`` and of
  the report's network, telar on CUDA against PyTorch CUDA (goals: <= 1.0x; PyTorch on an
  H200: 1.05 s and 0.86 s); 2000 full-batch epochs of the report's network (the autograd
  engine: the hand-written one that ``telar reproduce`` uses runs on the CPU only; goal
  <= 30 s); ``telar train --preset cnn --device cuda`` (goal >= 93.5 % in <= 120 s).
- ``cpu``: each preset's network, ``--batches`` batches of 128, at 2, 8 and 16 threads
  (those the machine has), telar (``telar.set_num_threads``) against PyTorch
  (``torch.set_num_threads``); goals: <= 1.0x PyTorch at each count, 16 threads no slower than 2.

    PYTHONPATH=src python benchmarks/gpu_check.py [--part parity,gpu,cpu] [--data DIR]
        [--batches 469] [--rounds 3] [--parity-on cuda|generic] [--quick]

Tables are Markdown, medians over ``--rounds``, with the device (``nvidia-smi`` name, cores)
printed first so the figures can be quoted with the machine that gave them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_benchmark_data  # noqa: E402

import telar  # noqa: E402
from telar import nn, optim  # noqa: E402
from telar.engine import Tensor  # noqa: E402
from telar.engine import functional as F  # noqa: E402
from telar.engine.array import cuda_problem, generic_path, to_host  # noqa: E402
from telar.engine.cpu.threads import cores, set_thread_budget  # noqa: E402
from telar.engine.devices import device  # noqa: E402

BATCH = 128
EPOCH_BATCHES = 469
OP_TOLERANCE = 1e-5
STEP_TOLERANCE = 1e-4
CNN = ("conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) "
       "relu linear(10)")
REPORT = [784, 64, 32, 16, 10]


# ============================================================================ parity
class Placement:
    """Where the second run of a case computes: the GPU, or the generic path on NumPy."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.device = device("cuda", 0) if kind == "cuda" else None

    def put(self, a: np.ndarray) -> Any:
        return a if self.device is None else self.device.put(a)

    def context(self) -> Any:
        return generic_path() if self.device is None else _nothing()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _rng() -> np.random.Generator:
    return np.random.default_rng(17)


def _leaf(values: np.ndarray, put: Callable[[np.ndarray], Any]) -> Tensor:
    return Tensor(put(values), requires_grad=values.dtype.kind == "f")


def _results(fn: Callable[..., Tensor], inputs: list[np.ndarray],
             put: Callable[[np.ndarray], Any]) -> list[np.ndarray]:
    """``fn``'s output and the gradients of its float inputs for a fixed projection of the
    output (``sum(out * r)``), as host arrays."""
    tensors = [_leaf(a, put) for a in inputs]
    out = fn(*tensors)
    projection = np.random.default_rng(3).standard_normal(out.shape).astype(out.dtype)
    (out * Tensor(put(projection))).sum().backward()
    return [to_host(out.data)] + [to_host(t.grad) for t in tensors if t.requires_grad]


def relative_error(got: list[np.ndarray], expected: list[np.ndarray]) -> float:
    """``max over arrays of max|got - expected| / max|expected|`` (0 for equal arrays)."""
    worst = 0.0
    for g, e in zip(got, expected, strict=True):
        g, e = np.asarray(g, np.float64), np.asarray(e, np.float64)
        scale = max(float(np.max(np.abs(e), initial=0.0)), 1e-30)
        worst = max(worst, float(np.max(np.abs(g - e), initial=0.0)) / scale)
    return worst


def f32(*shape: int, low: float | None = None) -> np.ndarray:
    rng = _rng()
    if low is not None:
        return rng.uniform(low, low + 2.0, shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def op_cases() -> list[tuple[str, Callable[..., Tensor], list[np.ndarray]]]:
    """(name, fn, inputs): every operation family of telar.engine.functional."""
    labels = np.array([0, 3, 1, 4, 4, 2], np.int64)
    return [
        ("add (broadcast)", F.add, [f32(6, 5), f32(1, 5)]),
        ("sub", F.sub, [f32(6, 5), f32(6, 5)]),
        ("mul (broadcast)", F.mul, [f32(6, 5), f32(6, 1)]),
        ("div", F.div, [f32(6, 5), f32(6, 5, low=0.5)]),
        ("pow", lambda a: a ** 2.5, [f32(6, 5, low=0.5)]),
        ("matmul", F.matmul, [f32(6, 7), f32(7, 5)]),
        ("matmul (batched)", F.matmul, [f32(3, 6, 7), f32(7, 5)]),
        ("linear", F.linear, [f32(6, 8), f32(5, 8), f32(5)]),
        ("exp", F.exp, [f32(6, 5)]),
        ("log", F.log, [f32(6, 5, low=0.5)]),
        ("sqrt", F.sqrt, [f32(6, 5, low=0.5)]),
        ("abs", F.abs, [f32(6, 5)]),
        ("clamp", lambda a: F.clamp(a, -0.5, 0.5), [f32(6, 5)]),
        ("maximum", F.maximum, [f32(6, 5), f32(6, 5)]),
        ("relu", F.relu, [f32(6, 5)]),
        ("leaky_relu", F.leaky_relu, [f32(6, 5)]),
        ("elu", F.elu, [f32(6, 5)]),
        ("gelu", F.gelu, [f32(6, 5)]),
        ("gelu (tanh)", lambda a: F.gelu(a, approximate="tanh"), [f32(6, 5)]),
        ("sigmoid", F.sigmoid, [f32(6, 5)]),
        ("tanh", F.tanh, [f32(6, 5)]),
        ("softmax", lambda a: F.softmax(a, 1), [f32(6, 5) * 20]),
        ("log_softmax", lambda a: F.log_softmax(a, 1), [f32(6, 5) * 20]),
        ("sum (dim)", lambda a: F.sum(a, 1), [f32(6, 5)]),
        ("mean", F.mean, [f32(6, 5)]),
        ("max (dim)", lambda a: F.max(a, 1), [f32(6, 5)]),
        ("reshape + transpose", lambda a: F.transpose(F.reshape(a, (5, 6)), (1, 0)), [f32(6, 5)]),
        ("getitem (repeats)", lambda a: a[[0, 2, 2]], [f32(6, 5)]),
        ("gather", lambda a: F.gather(a, 1, np.array([[0], [4], [2], [1], [3], [0]])),
         [f32(6, 5)]),
        ("cat", lambda a, b: F.concatenate([a, b], 1), [f32(6, 5), f32(6, 2)]),
        ("conv2d pad 1", lambda x, w, b: F.conv2d(x, w, b, padding=1),
         [f32(4, 3, 9, 9), f32(5, 3, 3, 3), f32(5)]),
        ("conv2d stride 2", lambda x, w: F.conv2d(x, w, stride=2), [f32(4, 3, 9, 9),
                                                                     f32(5, 3, 3, 3)]),
        ("conv2d dilation 2", lambda x, w: F.conv2d(x, w, dilation=2), [f32(4, 3, 9, 9),
                                                                         f32(5, 3, 3, 3)]),
        ("max_pool2d 2 (tiles)", lambda x: F.max_pool2d(x, 2), [f32(4, 3, 8, 8)]),
        ("max_pool2d 3/2 pad 1", lambda x: F.max_pool2d(x, 3, 2, 1), [f32(4, 3, 9, 9)]),
        ("max_pool2d_relu 2", lambda x: F.max_pool2d_relu(x, 2), [f32(4, 3, 8, 8)]),
        ("avg_pool2d 2", lambda x: F.avg_pool2d(x, 2), [f32(4, 3, 8, 8)]),
        ("avg_pool2d 3/2/1 no pad count", lambda x: F.avg_pool2d(x, 3, 2, 1,
                                                                 count_include_pad=False),
         [f32(4, 3, 9, 9)]),
        ("adaptive_avg_pool2d 1", lambda x: F.adaptive_avg_pool2d(x, 1), [f32(4, 3, 7, 7)]),
        ("adaptive_avg_pool2d 3", lambda x: F.adaptive_avg_pool2d(x, 3), [f32(4, 3, 7, 7)]),
        ("batch_norm (N, C)", lambda x, w, b: F.batch_norm(x, w, b, None, None, True),
         [f32(8, 5), f32(5), f32(5)]),
        ("batch_norm2d", lambda x, w, b: F.batch_norm2d(x, w, b, None, None, True),
         [f32(4, 3, 5, 5), f32(3), f32(3)]),
        ("dropout (host mask)", lambda a: F.dropout(a, 0.3, rng=np.random.default_rng(0)),
         [f32(6, 5)]),
        ("cross_entropy", lambda z: F.cross_entropy(z, _like(z, labels)), [f32(6, 5)]),
        ("cross_entropy smoothed", lambda z: F.cross_entropy(z, _like(z, labels),
                                                             label_smoothing=0.1), [f32(6, 5)]),
        ("cross_entropy weights", lambda z, w: F.cross_entropy(z, _like(z, labels), w),
         [f32(6, 5), f32(5, low=0.5)]),
        ("nll_loss ignore_index", lambda z: F.nll_loss(F.log_softmax(z, 1), _like(
            z, np.array([0, 3, -100, 4, 4, 2])), ignore_index=-100), [f32(6, 5)]),
        ("mse_loss", F.mse_loss, [f32(6, 5), f32(6, 5)]),
        ("l1_loss", F.l1_loss, [f32(6, 5), f32(6, 5)]),
        ("bce_with_logits", lambda z, y: F.binary_cross_entropy_with_logits(z, y),
         [f32(6, 5), f32(6, 5, low=0.0) / 2]),
    ]


def _like(z: Tensor, values: np.ndarray) -> Tensor:
    """``values`` on ``z``'s device (targets go with the logits)."""
    return Tensor(z.device.put(values))


def step_cases() -> list[tuple[str, str, tuple[int, ...], Callable[..., Any]]]:
    nets = [("cnn", "conv(4,3,padding=1,bias=false) bn relu maxpool(2) conv(6,3) relu "
             "avgpool(2) flatten linear(16) relu dropout(0.2) linear(5)", (1, 10, 10)),
            ("mlp", "linear(24,bias=false) bn relu dropout(0.1) linear(12) tanh linear(5)",
             (20,))]
    optimisers = [("sgd+momentum", lambda p: optim.SGD(p, lr=0.05, momentum=0.9)),
                  ("adam", lambda p: optim.Adam(p, lr=0.01)),
                  ("adamw", lambda p: optim.AdamW(p, lr=0.01)),
                  ("rmsprop", lambda p: optim.RMSprop(p, lr=0.01)),
                  ("adagrad", lambda p: optim.Adagrad(p, lr=0.05)),
                  ("adadelta", lambda p: optim.Adadelta(p))]
    return [(f"{net} + {name}", layers, shape, make) for net, layers, shape in nets
            for name, make in optimisers]


def train_steps(layers: str, shape: tuple[int, ...], make: Callable[..., Any],
                on: device | None) -> list[np.ndarray]:
    net = nn.build_sequential(layers, shape, seed=5)  # drawn on the host: the same weights
    if on is not None:
        net.to(on)
    opt = make(net.parameters())
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, *shape)).astype(np.float32)
    y = rng.integers(0, 5, 8)
    put = (lambda a: a) if on is None else on.put
    for _ in range(3):
        loss = F.cross_entropy(net(Tensor(put(x))), Tensor(put(y)), label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return list(net.state_dict().values())  # host arrays whatever the device


def parity(placement: Placement) -> bool:
    print(f"\n## Parity: {placement.kind} against NumPy's CPU kernels (float32)\n")
    print("| case | max rel. error | tolerance | result |")
    print("|---|---:|---:|---|")
    ok = True

    def row(name: str, err: float, tol: float) -> None:
        nonlocal ok
        passed = err <= tol
        ok &= passed
        print(f"| {name} | {err:.2e} | {tol:.0e} | {'pass' if passed else 'FAIL'} |")

    for name, fn, inputs in op_cases():
        try:
            expected = _results(fn, inputs, lambda a: a)
            with placement.context():
                got = _results(fn, inputs, placement.put)
            row(name, relative_error(got, expected), OP_TOLERANCE)
        except Exception as exc:  # a failing op is a row, not the end of the table
            ok = False
            print(f"| {name} | {type(exc).__name__}: {str(exc)[:60]} | | FAIL |")
    for name, layers, shape, make in step_cases():
        try:
            expected = train_steps(layers, shape, make, None)
            with placement.context():
                got = train_steps(layers, shape, make, placement.device)
            row(f"3 steps: {name}", relative_error(got, expected), STEP_TOLERANCE)
        except Exception as exc:
            ok = False
            print(f"| 3 steps: {name} | {type(exc).__name__}: {str(exc)[:60]} | | FAIL |")
    ok &= model_files(placement)
    return ok


def model_files(placement: Placement) -> bool:
    """A model saved from the device is a file of host arrays that a CPU model loads, and a
    CPU file loads onto the device: the same keys, shapes and dtypes, the same outputs."""
    with tempfile.TemporaryDirectory() as folder, placement.context():
        cpu = nn.build_sequential("linear(8) relu linear(3)", (5,), seed=1)
        moved = nn.build_sequential("linear(8) relu linear(3)", (5,), seed=1)
        if placement.device is not None:
            moved.to(placement.device)
        telar.save(moved.state_dict(), Path(folder) / "device.pth")
        telar.save(cpu.state_dict(), Path(folder) / "cpu.pth")
        from_device = telar.load(Path(folder) / "device.pth")
        from_cpu = telar.load(Path(folder) / "cpu.pth")
        same = from_device.keys() == from_cpu.keys() and all(
            type(from_device[k]) is np.ndarray and from_device[k].dtype == from_cpu[k].dtype
            and np.array_equal(from_device[k], from_cpu[k]) for k in from_cpu)
        moved.load_state_dict(from_cpu)
        x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
        err = relative_error([to_host(moved(Tensor(placement.put(x))).data)],
                             [cpu(Tensor(x)).data])
    passed = same and err <= OP_TOLERANCE
    print(f"| model file written from the device = the CPU's, loads back | {err:.2e} | "
          f"{OP_TOLERANCE:.0e} | {'pass' if passed else 'FAIL'} |")
    return passed


# ============================================================================ timing helpers
def synchronize() -> None:
    telar.cuda.synchronize()


def median_time(run: Callable[[], None], rounds: int, sync: Callable[[], None]) -> float:
    times = []
    for _ in range(rounds):
        sync()
        t0 = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def index_batches(n: int, count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-count * BATCH // n))])
    return [order[i * BATCH:(i + 1) * BATCH] for i in range(count)]


def telar_steps(model: Any, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray],
                on: device | None, lr: float = 1e-3) -> Callable[[], None]:
    """Adam steps over the batches ``idx``; the data set is on the device first (as a
    PyTorch script keeps it), each batch gathered there."""
    opt = optim.Adam(model.parameters(), lr=lr)
    put = (lambda a: a) if on is None else on.put
    xd, yd = put(x), put(y)
    idx_d = [put(b) for b in idx]

    def run() -> None:
        model.train()
        for b in idx_d:
            loss = F.cross_entropy(model(Tensor(xd[b])), Tensor(yd[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def torch_steps(tmodel: Any, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray], where: str,
                lr: float = 1e-3) -> Callable[[], None]:
    import torch

    tmodel.to(where)
    opt = torch.optim.Adam(tmodel.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x).to(where), torch.from_numpy(y).to(where)
    tidx = [torch.from_numpy(b).to(where) for b in idx]

    def run() -> None:
        tmodel.train()
        for b in tidx:
            loss = torch.nn.functional.cross_entropy(tmodel(xt.index_select(0, b)),
                                                     yt.index_select(0, b))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    return run


def torch_cnn() -> Any:
    import torch.nn as tnn

    return tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Linear(128, 10))


def torch_dense(sizes: list[int]) -> Any:
    import torch.nn as tnn

    layers: list[Any] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [tnn.Linear(n_in, n_out), tnn.ReLU()]
    return tnn.Sequential(*layers, tnn.Linear(sizes[-2], sizes[-1]))


def telar_dense(sizes: list[int]) -> Any:
    hidden = " ".join(f"linear({n}) relu" for n in sizes[1:-1])
    return nn.build_sequential(f"{hidden} linear({sizes[-1]})", (sizes[0],), seed=0)


def torch_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def torch_sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


# ============================================================================ GPU
def gpu_benchmarks(data: tuple[np.ndarray, ...], batches: int, rounds: int,
                   data_dir: str | None, quick: bool) -> None:
    on = device("cuda", 0)
    x, y, _, _ = data
    images = x.reshape(-1, 1, 28, 28)
    idx = index_batches(len(x), batches)
    extrapolated = "" if batches == EPOCH_BATCHES else f" ({batches} batches, x{EPOCH_BATCHES}/" \
                                                       f"{batches} to an epoch)"
    print(f"\n## GPU: one epoch, batch {BATCH}, Adam{extrapolated}\n")
    print("| network | telar CUDA s/epoch | PyTorch CUDA s/epoch | ratio | goal |")
    print("|---|---:|---:|---:|---|")
    scale = EPOCH_BATCHES / batches
    for name, telar_model, torch_model, inputs, goal in [
            ("small CNN (bench_cnn.py)", nn.build_sequential(CNN, (1, 28, 28), seed=0).to(on),
             torch_cnn, images, "<= 1.0x (PyTorch H200: 1.05 s)"),
            ("report's network 784-64-32-16-10", telar_dense(REPORT).to(on),
             lambda: torch_dense(REPORT), x, "<= 1.0x (PyTorch H200: 0.86 s)")]:
        run = telar_steps(telar_model, inputs, y, idx, on)
        run()  # warm-up: CuPy compiles its kernels on first use
        ours = median_time(run, rounds, synchronize) * scale
        theirs = float("nan")
        if torch_cuda():
            trun = torch_steps(torch_model(), inputs, y, idx, "cuda")
            trun()
            theirs = median_time(trun, rounds, torch_sync) * scale
        print(f"| {name} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f}x | {goal} |")

    # 2000 full-batch epochs of the report's network (autograd engine, the report's Adam lr)
    epochs = 200 if quick else 2000
    model = telar_dense(REPORT).to(on)
    full = telar_steps(model, x, y, [np.arange(len(x))], on, lr=2e-3)
    full()
    synchronize()
    t0 = time.perf_counter()
    for _ in range(epochs - 1):
        full()
    synchronize()
    seconds = time.perf_counter() - t0
    print(f"\nreport's network, full batch ({len(x):,} rows), {epochs} epochs on the GPU "
          f"(autograd engine): {seconds:.1f} s (goal for 2000: <= 30 s)")

    # `telar train --preset cnn --device cuda`, timed from outside
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cnn"
        command = [sys.executable, "-m", "telar", "train", "--preset", "cnn", "--device", "cuda",
                   "--no-progress", "--out", str(out)]
        if data_dir:
            command += ["--data", data_dir]
        if quick:
            command += ["--epochs", "2"]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            print(f"\ntelar train --preset cnn --device cuda failed: {done.stderr.strip()[-400:]}")
            return
        summary = json.loads((out / "summary.json").read_text())
        print(f"\n`{' '.join(command[1:])}`: test accuracy {summary['test_accuracy']:.4f} in "
              f"{seconds:.0f} s wall ({summary['train_seconds']:.0f} s training; goal >= 0.935 "
              "in <= 120 s)")


# ============================================================================ many cores
def preset_runner(preset: str, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray]
                  ) -> Callable[[], None]:
    """``batches`` training steps of a preset's network as ``telar train`` builds it (the
    autograd engine for report too: the hand-written one has its own row-block threads)."""
    from telar.app.runs.build import build_learner
    from telar.app.runs.config import build_config
    from telar.train.loop import default_batch_context

    settings = {"preset": preset, "augment": "none", "schedule": "none", "warmup": "0"}
    if preset == "report":
        settings["engine"] = "autograd"
    config = build_config(settings)
    learner = build_learner(config, n_inputs=784, n_classes=10, n_train=len(x))
    learner.set_rng(np.random.default_rng(1))
    context = default_batch_context(BATCH, learner)

    def run() -> None:
        with context():
            for b in idx:
                learner.train_step(x[b], y[b])

    return run


def torch_preset(preset: str) -> Any:
    import torch.nn as tnn

    if preset == "report":
        return torch_dense(REPORT)
    if preset == "mlp":
        layers: list[Any] = []
        for n_in, n_out in ((784, 1024), (1024, 512)):
            layers += [tnn.Linear(n_in, n_out, bias=False), tnn.BatchNorm1d(n_out), tnn.ReLU(),
                       tnn.Dropout(0.3)]
        return tnn.Sequential(*layers, tnn.Linear(512, 10))
    return tnn.Sequential(tnn.Unflatten(1, (1, 28, 28)),
                          tnn.Conv2d(1, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Conv2d(32, 64, 3, padding=1),
                          tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                          tnn.Linear(3136, 256), tnn.ReLU(), tnn.Dropout(0.2),
                          tnn.Linear(256, 10))


def cpu_benchmarks(data: tuple[np.ndarray, ...], batches: int, rounds: int) -> None:
    import torch

    x, y, _, _ = data
    idx = index_batches(len(x), batches)
    counts = [n for n in (2, 8, 16) if n <= cores()] or [cores()]
    print(f"\n## CPU: {batches} batches of {BATCH} per preset, {cores()} cores here\n")
    print("| preset | threads | telar s/epoch | PyTorch s/epoch | ratio | goal |")
    print("|---|---:|---:|---:|---:|---|")
    scale = EPOCH_BATCHES / batches
    for preset in ("report", "mlp", "cnn"):
        at: dict[int, float] = {}
        for n in counts:
            set_thread_budget(n)
            torch.set_num_threads(n)
            # no warm-up round on the CPU (nothing to compile): the first round is measured
            run = preset_runner(preset, x, y, idx)
            ours = median_time(run, rounds, lambda: None) * scale
            trun = torch_steps(torch_preset(preset), x, y, idx, "cpu")
            theirs = median_time(trun, rounds, lambda: None) * scale
            at[n] = ours
            print(f"| {preset} | {n} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f}x | "
                  "<= 1.0x (aim 0.8x) |")
        if len(at) > 1:
            most, least = max(at), min(at)
            verdict = "ok" if at[most] <= at[least] else "SLOWER"
            print(f"| {preset} | {most} vs {least} | {at[most] / at[least]:.2f}x | | | "
                  f"no slower at {most}: {verdict} |")
    set_thread_budget(None)


# ============================================================================ main
def describe_machine() -> None:
    gpu = "none"
    if cuda_problem() is None:
        gpu = telar.cuda.get_device_name()
    try:
        import torch
        torch_line = f"PyTorch {torch.__version__} (CUDA: {torch.cuda.is_available()})"
    except ImportError:
        torch_line = "PyTorch not installed"
    print(f"# telar device check\n\nmachine: {os.uname().nodename}, {cores()} cores, GPU: {gpu}"
          f"; {torch_line}; NumPy {np.__version__}")
    if cuda_problem() is not None:
        print(f"CUDA: {cuda_problem()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="parity,gpu,cpu")
    parser.add_argument("--data", default=None)
    parser.add_argument("--batches", type=int, default=EPOCH_BATCHES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parity-on", choices=("cuda", "generic"), default=None,
                        help="default: cuda where there is a GPU, else generic")
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs for the long rows (200 full-batch epochs, a 2-epoch "
                             "cnn run): to see that everything runs, not for the figures")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.part.split(",")}
    describe_machine()
    has_gpu = cuda_problem() is None
    ok = True
    if "parity" in parts:
        ok &= parity(Placement(args.parity_on or ("cuda" if has_gpu else "generic")))
    data = load_benchmark_data(args.data) if parts & {"gpu", "cpu"} else ()
    if "gpu" in parts:
        if has_gpu:
            gpu_benchmarks(data, args.batches, args.rounds, args.data, args.quick)
        else:
            print(f"\n## GPU: skipped ({cuda_problem()})")
    if "cpu" in parts:
        cpu_benchmarks(data, args.batches, args.rounds)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
