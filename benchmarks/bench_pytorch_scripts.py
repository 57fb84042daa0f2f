"""PyTorch scripts on telar: the Quickstart's training epoch against PyTorch, and a DataLoader
epoch against telar's own batch loop. Interleaved runs, medians and ratios.

1. ``quickstart``: the train() loop of the PyTorch Quickstart (784-512-512-10 ReLU MLP,
   CrossEntropyLoss, SGD lr 1e-3, batch 64) over the first ``--batches`` batches of
   Fashion-MNIST. telar runs it the way examples/quickstart_tutorial.py does (telar.datasets +
   ToTensor + telar's DataLoader); PyTorch runs the same loop over a TensorDataset of the
   same float32 images (torchvision is not installed here; its per-image PIL path would only
   slow PyTorch down). Both use their default thread counts.
2. ``loader``: one shuffled epoch of batches of 64 (no training): ``DataLoader(FashionMNIST(
   transform=ToTensor()), shuffle=True)`` against telar's trainer loop (``batch_order`` and
   ``x[idx]`` on the pre-converted float32 array).

    PYTHONPATH=src python benchmarks/bench_pytorch_scripts.py [--repeats 5] [--batches 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import telar
from telar import datasets, nn
from telar.transforms import ToTensor
from telar.utils.data import DataLoader


def quickstart_model_telar():
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                nn.Linear(512, 10), nn.ReLU())

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    return NeuralNetwork()


def quickstart_model_torch(torch):
    return torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
        torch.nn.ReLU(), torch.nn.Linear(512, 10), torch.nn.ReLU())


def train_batches(lib, dataloader, model, loss_fn, optimizer, batches: int) -> float:
    """The Quickstart's train() body, stopped after ``batches`` batches; returns seconds."""
    start = time.perf_counter()
    for batch, (X, y) in enumerate(dataloader):
        if batch == batches:
            break
        X, y = X.to("cpu"), y.to("cpu")
        pred = model(X)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch % 100 == 0:
            loss.item()
    return time.perf_counter() - start


def bench_quickstart(repeats: int, batches: int) -> None:
    import torch

    train = datasets.FashionMNIST("data", train=True, download=False, transform=ToTensor())
    x = torch.from_numpy(train.data.numpy().astype(np.float32)[:, None] / 255)
    y = torch.from_numpy(train.targets.numpy())
    t_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64)
    o_loader = DataLoader(train, batch_size=64)
    times: dict[str, list[float]] = {"telar": [], "pytorch": []}
    for _ in range(repeats):
        model = quickstart_model_telar()
        times["telar"].append(train_batches(
            telar, o_loader, model, nn.CrossEntropyLoss(),
            telar.optim.SGD(model.parameters(), lr=1e-3), batches))
        tmodel = quickstart_model_torch(torch)
        times["pytorch"].append(train_batches(
            torch, t_loader, tmodel, torch.nn.CrossEntropyLoss(),
            torch.optim.SGD(tmodel.parameters(), lr=1e-3), batches))
    o, t = statistics.median(times["telar"]), statistics.median(times["pytorch"])
    print(f"quickstart, {batches} batches of 64 (PyTorch {torch.__version__}, "
          f"{torch.get_num_threads()} threads):")
    print(f"  telar   median {o:.3f} s   runs {[round(v, 3) for v in times['telar']]}")
    print(f"  pytorch median {t:.3f} s   runs {[round(v, 3) for v in times['pytorch']]}")
    print(f"  telar / pytorch = {o / t:.2f}  (per full epoch of 938 batches: telar "
          f"{o * 938 / batches:.1f} s, pytorch {t * 938 / batches:.1f} s)")


def bench_loader(repeats: int) -> None:
    from telar.data import to_float
    from telar.train.loop import batch_order

    train = datasets.FashionMNIST("data", train=True, download=False, transform=ToTensor())
    x_all = to_float(train.data.numpy())
    y_all = train.targets.numpy()
    loader = DataLoader(train, batch_size=64, shuffle=True,
                        generator=telar.Generator().manual_seed(0))

    def ours() -> float:
        start = time.perf_counter()
        for _batch in loader:
            pass
        return time.perf_counter() - start

    def own_loop(epoch: int) -> float:
        start = time.perf_counter()
        for index in batch_order(len(y_all), 64, 0, epoch):
            x_all[index], y_all[index]  # noqa: B018 - the gather is what is timed
        return time.perf_counter() - start

    a, b = [], []
    for epoch in range(repeats):
        a.append(ours())
        b.append(own_loop(epoch))
    ma, mb = statistics.median(a), statistics.median(b)
    print("loader, one shuffled epoch of batches of 64 (60,000 images):")
    print(f"  DataLoader(FashionMNIST(ToTensor()))  median {ma * 1000:.1f} ms  "
          f"runs {[round(v * 1000, 1) for v in a]}")
    print(f"  telar's loop (batch_order + x[idx])   median {mb * 1000:.1f} ms  "
          f"runs {[round(v * 1000, 1) for v in b]}")
    print(f"  DataLoader / own loop = {ma / mb:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--only", choices=("quickstart", "loader"))
    args = parser.parse_args()
    if args.only != "quickstart":
        bench_loader(max(args.repeats, 5))
    if args.only != "loader":
        bench_quickstart(args.repeats, args.batches)


if __name__ == "__main__":
    main()
