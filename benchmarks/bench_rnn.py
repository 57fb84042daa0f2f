"""An LSTM on Fashion-MNIST rows, trained in telar against PyTorch on the CPU.

The network (the ``lstm(128) linear(10)`` of a layer list): one ``LSTM(28, 128)`` reads each
image as 28 rows of 28 pixels, a ``Linear(128, 10)`` classifies its final hidden state; Adam
(lr 1e-3), cross-entropy, batch 128, real Fashion-MNIST images (float32 in [0, 1]), both
frameworks starting from the same weights and taking the same batches.

Peers run in this one process, interleaved round by round: each round is ``--batches``
training steps (default 60) of telar, then of PyTorch. The table gives the median seconds per
round, the per-epoch time extrapolated to 469 batches (60,000 images; labelled as such: it is
not a measured epoch unless ``--batches 469``) and the ratio to PyTorch. Pin it to one core for
a fair single-thread comparison::

    taskset -c 1 env OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_rnn.py \\
        [--batches 60] [--rounds 5] [--hidden 128] [--data DIR]

Before the timed rounds, both run the same first batch from the same weights and the losses
are printed side by side (they agree to float32 rounding), so the two time the same work.
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
from telar.engine.functional import cross_entropy  # noqa: E402

BATCH = 128
LR = 1e-3
EPOCH_BATCHES = 469  # ceil(60000 / 128)
STEPS = FEATURES = 28  # an image's rows, and the pixels of a row


class TelarLSTMNet(nn.Module):
    """``LSTM(28, hidden)`` over the rows, ``Linear(hidden, 10)`` on the final state."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x: telar.Tensor) -> telar.Tensor:
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[0])


def torch_model(hidden: int, mine: TelarLSTMNet):
    """PyTorch's same network, with telar's weights copied in."""
    import torch

    class TorchLSTMNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(FEATURES, hidden, batch_first=True)
            self.fc = torch.nn.Linear(hidden, 10)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.fc(h_n[0])

    model = TorchLSTMNet()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in mine.state_dict().items()})
    return model


def batches(n_images: int, count: int, seed: int) -> list[np.ndarray]:
    """``count`` index batches of a seeded shuffle (cycled): the same for every peer."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n_images)
                            for _ in range(-(-count * BATCH // n_images))])
    return [order[i * BATCH:(i + 1) * BATCH] for i in range(count)]


def telar_steps(model: TelarLSTMNet, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray]
                ) -> Callable[[], float]:
    opt = optim.Adam(model.parameters(), lr=LR)

    def run() -> float:
        loss = None
        for b in idx:
            loss = cross_entropy(model(telar.Tensor(x[b])), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return float(loss.item())

    return run


def torch_steps(model, x: np.ndarray, y: np.ndarray, idx: list[np.ndarray]
                ) -> Callable[[], float]:
    import torch

    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run() -> float:
        loss = None
        for b in idx:
            ib = torch.from_numpy(b)
            loss = torch.nn.functional.cross_entropy(model(xt[ib]), yt[ib])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return float(loss.item())

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=60, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (medians are taken)")
    parser.add_argument("--hidden", type=int, default=128, help="the LSTM's hidden size")
    parser.add_argument("--data", default=None, help="Fashion-MNIST folder")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(f"telar.engine.cpu.memory.retain_freed_memory(): {retain_freed_memory()}")
    train_x, train_y, _, _ = load_benchmark_data(args.data)
    x = train_x.reshape(-1, STEPS, FEATURES)

    telar.manual_seed(0)
    mine = TelarLSTMNet(args.hidden)
    theirs = torch_model(args.hidden, mine)
    first = batches(len(x), 1, seed=1)
    check = [telar_steps(mine, x, train_y, first)(), torch_steps(theirs, x, train_y, first)()]
    print(f"loss after the same first step from the same weights: telar {check[0]:.6f}, "
          f"PyTorch {check[1]:.6f}")

    idx = batches(len(x), args.batches, seed=0)
    peers = {"telar": telar_steps(mine, x, train_y, idx),
             "PyTorch": torch_steps(theirs, x, train_y, idx)}
    times: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(args.rounds):
        for name, run in peers.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    print(f"\nLSTM(28, {args.hidden}) + Linear({args.hidden}, 10), batch {BATCH}, Adam; "
          f"{args.rounds} rounds of {args.batches} steps, medians "
          f"(torch {torch.__version__}, {torch.get_num_threads()} thread)")
    reference = statistics.median(times["PyTorch"])
    print(f"{'peer':<10} {'s/round':>9} {'s/epoch*':>9} {'ratio':>7}   rounds")
    for name, values in times.items():
        median = statistics.median(values)
        per_epoch = median * EPOCH_BATCHES / args.batches
        rounds = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<10} {median:>9.3f} {per_epoch:>9.1f} {median / reference:>6.2f}x   "
              f"{rounds}")
    print(f"* extrapolated to {EPOCH_BATCHES} batches (60,000 images), not measured")


if __name__ == "__main__":
    main()
