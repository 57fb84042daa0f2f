"""``telar gradcheck``: check a dense model's backward pass against central differences.

    telar gradcheck --hidden 32,16 --activation tanh --batch-norm --dropout 0.1
    telar gradcheck --all          # a built-in list: every activation, BatchNorm, Dropout

Prints each parameter's largest absolute and relative error; exits 0 when all pass, 1 when
any fails (2 for a bad option).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from telar.app import architectures
from telar.constraints import (
    CLASSES,
    DROPOUT,
    INPUT_WIDTH,
    LABEL_SMOOTHING,
    SEED,
    WIDTH,
    Constraint,
    Integer,
    ListOf,
    Number,
)
from telar.engine import Tensor
from telar.engine.functional import cross_entropy
from telar.engine.gradcheck import GradcheckReport, gradcheck
from telar.nn import ACTIVATIONS, build_mlp
from telar.nn.init import INITIALISERS

BUILT_IN: list[dict[str, Any]] = [
    *({"activation": name} for name in ACTIVATIONS),
    {"activation": "relu", "batch_norm": True},
    {"activation": "relu", "dropout": 0.3},
    {"activation": "gelu", "batch_norm": True, "dropout": 0.2, "init": "he_uniform"},
]


#: Each value option's constraint: the shared concepts from telar.constraints, the finite
#: difference step and tolerances gradcheck's own.
OPTIONS: dict[str, Constraint] = {
    "hidden": ListOf(WIDTH, noun="layer width"),
    "dropout": DROPOUT,
    "label_smoothing": LABEL_SMOOTHING,
    "input_size": INPUT_WIDTH,
    "classes": CLASSES,
    "batch": Integer(2, 4096),  # a batch's variance for BatchNorm; a bounded random input
    "seed": SEED,
    "max_entries": Integer(min=1),
    "eps": Number(0, low_open=True),
    "atol": Number(0),
    "rtol": Number(0),
}


def check_model(spec: dict[str, Any], *, batch: int, label_smoothing: float, seed: int,
                max_entries: int | None, eps: float, atol: float, rtol: float) -> GradcheckReport:
    """Gradcheck every parameter of ``build_mlp(spec)`` (float64) on a random batch.

    The loss is the mean softmax cross-entropy; dropout draws the same mask for every
    evaluation (its generator is rewound), BatchNorm runs in training mode.
    """
    architectures.describe({"kind": "mlp", **spec}, "--hidden")  # the size budget first
    model = build_mlp({**spec, "seed": seed, "dtype": "float64"})
    rng = np.random.default_rng(seed + 1)
    x = Tensor(rng.random((batch, model.spec["input_size"])))
    y = rng.integers(0, model.spec["classes"], size=batch)
    start = model.generator.bit_generator.state

    def loss() -> Tensor:
        model.generator.bit_generator.state = start
        return cross_entropy(model(x), y, label_smoothing=label_smoothing)

    names, params = zip(*model.named_parameters(), strict=True)
    return gradcheck(lambda: loss(), [], wrt=params, names=names, eps=eps, atol=atol, rtol=rtol,
                     max_entries=max_entries, seed=seed)


def describe(spec: dict[str, Any]) -> str:
    parts = [f"hidden {','.join(map(str, spec.get('hidden', [])))}", spec.get("activation", "relu")]
    if spec.get("batch_norm"):
        parts.append("batch-norm")
    if spec.get("dropout"):
        parts.append(f"dropout {spec['dropout']}")
    parts.append(f"init {spec.get('init', 'xavier_report')}")
    return ", ".join(parts)


def check_options(args: argparse.Namespace) -> dict[str, Any]:
    """Every value option read and checked by its constraint (ConfigError naming the option)."""
    return {name: rule.parse(getattr(args, name), "--" + name.replace("_", "-"))
            for name, rule in OPTIONS.items()}


def run(args: argparse.Namespace) -> int:
    o = check_options(args)
    base = {"input_size": o["input_size"], "classes": o["classes"], "hidden": o["hidden"]}
    if args.all:
        specs = [{**base, **extra} for extra in BUILT_IN]
    else:
        specs = [{**base, "activation": args.activation, "init": args.init,
                  "dropout": o["dropout"], "batch_norm": args.batch_norm}]
    failures = 0
    for spec in specs:
        report = check_model(spec, batch=o["batch"], label_smoothing=o["label_smoothing"],
                             seed=o["seed"], max_entries=o["max_entries"], eps=o["eps"],
                             atol=o["atol"], rtol=o["rtol"])
        print(f"model: {describe(spec)}")
        print(report.table())
        print(f"=> {'passed' if report else 'FAILED'}\n")
        failures += not report
    print(f"{len(specs) - failures} of {len(specs)} models passed")
    return 0 if failures == 0 else 1


#: Shown at the end of ``telar gradcheck --help``.
EXAMPLES: tuple[str, ...] = (
    'telar gradcheck',
    'telar gradcheck --hidden 8,4 --activation tanh',
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "gradcheck", help="check a model's gradients against central differences",
        description="Build a dense network (float64), compute its loss gradient by autodiff "
                    "and by central differences, and print each parameter's largest error. "
                    "Exit status 0 if all pass, 1 if any fails.")
    p.add_argument("--hidden", default="16,8", help="hidden sizes, comma-separated (16,8)")
    p.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS))
    p.add_argument("--init", default="xavier_report", choices=sorted(INITIALISERS))
    p.add_argument("--dropout", default=0.0, help="dropout probability in [0, 1) (0)")
    p.add_argument("--batch-norm", action="store_true", help="BatchNorm1d after each Linear")
    p.add_argument("--label-smoothing", default=0.0, help="in [0, 1) (0)")
    p.add_argument("--input-size", default=784)
    p.add_argument("--classes", default=10)
    p.add_argument("--batch", default=8, help="samples in the random batch, 2 or more (8)")
    p.add_argument("--seed", default=0)
    p.add_argument("--max-entries", default=64,
                   help="entries checked per parameter, at random (64); 0 < N")
    p.add_argument("--eps", default=1e-6, help="finite-difference step > 0 (1e-6)")
    p.add_argument("--atol", default=1e-6)
    p.add_argument("--rtol", default=1e-4)
    p.add_argument("--all", action="store_true",
                   help="check a built-in list of models (every activation, BatchNorm, Dropout)")
    p.set_defaults(func=run)
