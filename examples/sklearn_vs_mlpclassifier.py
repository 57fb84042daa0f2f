"""telar's scikit-learn estimator next to scikit-learn's own MLPClassifier on Fashion-MNIST.

Both get the same hidden layers, solver (Adam), learning rate, L2 penalty, batch size and
number of epochs, on the same training subset; each is scored on the same test subset. The
table gives the test accuracy and the seconds ``fit`` took (one run each; timings on a shared
machine vary, compare them in one invocation).

    python examples/sklearn_vs_mlpclassifier.py [--train-size 10000] [--test-size 2000]
        [--hidden 128] [--max-iter 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from telar.data import load_fashion_mnist
from telar.sklearn import TelarClassifier


def subsets(train_size: int, test_size: int, seed: int):
    """The first ``test_size`` test images and a seeded ``train_size`` of the training set,
    as rows of 784 pixels in [0, 1] (float32), with the class names as labels."""
    data = load_fashion_mnist()
    names = np.array(data.class_names, dtype=object)
    pick = np.random.default_rng(seed).permutation(len(data.train_images))[:train_size]
    x_train = data.train_images[pick].reshape(len(pick), 784).astype(np.float32) / 255
    x_test = data.test_images[:test_size].reshape(-1, 784).astype(np.float32) / 255
    return x_train, names[data.train_labels[pick]], x_test, names[data.test_labels[:test_size]]


def compare(estimators: dict, x_train, y_train, x_test, y_test) -> list[tuple[str, float, float]]:
    """``(name, test accuracy, fit seconds)`` of each estimator."""
    rows = []
    for name, estimator in estimators.items():
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter ends both runs
            estimator.fit(x_train, y_train)
        seconds = time.perf_counter() - started
        rows.append((name, float(estimator.score(x_test, y_test)), seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=10_000)
    parser.add_argument("--test-size", type=int, default=2_000)
    parser.add_argument("--hidden", type=int, nargs="+", default=[128])
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    x_train, y_train, x_test, y_test = subsets(args.train_size, args.test_size, args.seed)
    same = {"hidden_layer_sizes": tuple(args.hidden), "solver": "adam", "alpha": 1e-4,
            "batch_size": 200, "learning_rate_init": 1e-3, "max_iter": args.max_iter,
            "random_state": args.seed}
    rows = compare({"telar TelarClassifier": TelarClassifier(**same),
                    "scikit-learn MLPClassifier": MLPClassifier(**same)},
                   x_train, y_train, x_test, y_test)
    print(f"Fashion-MNIST: {len(x_train)} training images, {len(x_test)} test images, hidden "
          f"layers {tuple(args.hidden)}, {args.max_iter} epochs of Adam")
    print(f"{'estimator':<28} {'test accuracy':>13} {'fit seconds':>11}")
    for name, accuracy, seconds in rows:
        print(f"{name:<28} {accuracy:>13.4f} {seconds:>11.2f}")


if __name__ == "__main__":
    main()
