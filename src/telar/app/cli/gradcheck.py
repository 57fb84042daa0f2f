"""``telar gradcheck``: check a dense model's backward pass against central differences.

    telar gradcheck --hidden 32,16 --activation tanh --batch-norm --dropout 0.1
    telar gradcheck --all          # a built-in list: every activation, BatchNorm, Dropout

Prints each parameter's largest absolute and relative error; exits 0 when all pass, 1 when
any fails (2 for a bad option).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.functional import cross_entropy
from telar.engine.gradcheck import GradcheckReport, gradcheck
from telar.errors import ConfigError
from telar.nn import ACTIVATIONS, build_mlp
from telar.nn.init import INITIALISERS

BUILT_IN: list[dict[str, Any]] = [
    *({"activation": name} for name in ACTIVATIONS),
    {"activation": "relu", "batch_norm": True},
    {"activation": "relu", "dropout": 0.3},
    {"activation": "gelu", "batch_norm": True, "dropout": 0.2, "init": "he_uniform"},
]


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--hidden takes sizes like 32,16, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise ConfigError(f"--hidden sizes must be positive, got {text!r}")
    return sizes


def check_model(spec: dict[str, Any], *, batch: int, label_smoothing: float, seed: int,
                max_entries: int | None, eps: float, atol: float, rtol: float) -> GradcheckReport:
    """Gradcheck every parameter of ``build_mlp(spec)`` (float64) on a random batch.

    The loss is the mean softmax cross-entropy; dropout draws the same mask for every
    evaluation (its generator is rewound), BatchNorm runs in training mode.
    """
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


def check_options(args: argparse.Namespace) -> None:
    """Refuse option values gradcheck cannot use (ConfigError naming the option)."""
    if not (math.isfinite(args.eps) and args.eps > 0):
        raise ConfigError(f"--eps must be a finite step > 0, got {args.eps}")
    for name in ("atol", "rtol"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"--{name} must be a finite tolerance >= 0, got {value}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    if not 0 <= args.label_smoothing <= 1:  # also false for nan
        raise ConfigError(f"--label-smoothing must be in [0, 1], got {args.label_smoothing}")
    if not (math.isfinite(args.dropout) and 0 <= args.dropout < 1):
        raise ConfigError(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.input_size < 1 or args.classes < 2:
        raise ConfigError(f"--input-size must be >= 1 and --classes >= 2, got "
                          f"{args.input_size} and {args.classes}")


def run(args: argparse.Namespace) -> int:
    check_options(args)
    if args.batch < 2:
        raise ConfigError(f"--batch must be at least 2, got {args.batch}")
    if args.max_entries is not None and args.max_entries < 1:
        raise ConfigError(f"--max-entries must be positive, got {args.max_entries}")
    base = {"input_size": args.input_size, "classes": args.classes, "hidden": _sizes(args.hidden)}
    if args.all:
        specs = [{**base, **extra} for extra in BUILT_IN]
    else:
        specs = [{**base, "activation": args.activation, "init": args.init,
                  "dropout": args.dropout, "batch_norm": args.batch_norm}]
    failures = 0
    for spec in specs:
        report = check_model(spec, batch=args.batch, label_smoothing=args.label_smoothing,
                             seed=args.seed, max_entries=args.max_entries, eps=args.eps,
                             atol=args.atol, rtol=args.rtol)
        print(f"model: {describe(spec)}")
        print(report.table())
        print(f"=> {'passed' if report else 'FAILED'}\n")
        failures += not report
    print(f"{len(specs) - failures} of {len(specs)} models passed")
    return 0 if failures == 0 else 1


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "gradcheck", help="check a model's gradients against central differences",
        description="Build a dense network (float64), compute its loss gradient by autodiff "
                    "and by central differences, and print each parameter's largest error. "
                    "Exit status 0 if all pass, 1 if any fails.")
    p.add_argument("--hidden", default="16,8", help="hidden sizes, comma-separated (16,8)")
    p.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS))
    p.add_argument("--init", default="xavier_report", choices=sorted(INITIALISERS))
    p.add_argument("--dropout", type=float, default=0.0, help="dropout probability (0)")
    p.add_argument("--batch-norm", action="store_true", help="BatchNorm1d after each Linear")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--input-size", type=int, default=784)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", type=int, default=8, help="samples in the random batch (8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-entries", type=int, default=64,
                   help="entries checked per parameter, at random (64); 0 < N")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step (1e-6)")
    p.add_argument("--atol", type=float, default=1e-6)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--all", action="store_true",
                   help="check a built-in list of models (every activation, BatchNorm, Dropout)")
    p.set_defaults(func=run)
