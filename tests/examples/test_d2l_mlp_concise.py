"""examples/d2l_mlp_concise.py, the d2l book's concise MLP with only its imports changed, runs
on telar and passes the book's own accuracy checks (on a subset of the real Fashion-MNIST
written where torchvision keeps it)."""

from __future__ import annotations

from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw


def test_d2l_concise_mlp_passes_the_books_own_accuracy_checks(tmp_path, monkeypatch, fashion):
    write_torchvision_raw(tmp_path / "data", "FashionMNIST", first_arrays(fashion, 6000, 1000),
                          gz=("test",))
    # The book's train_ch3 asserts train and test accuracy > 0.7 after its 10 epochs.
    g = run_example("d2l_mlp_concise.py", tmp_path / "work", monkeypatch,
                    helpers=("d2l_telar.py", "_notebook.py"))
    d2l, net = g["d2l"], g["net"]
    assert len(g["train_iter"].dataset) == 6000
    assert d2l.evaluate_accuracy(net, g["test_iter"]) > 0.72
    assert net[1].weight.data.std() > 0.01  # trained away from the chapter's N(0, 0.01^2)
