"""``telar serve [--runs DIR] [--host 127.0.0.1] [--port 8000]``: the local web app.

Flask behind waitress (a production-grade WSGI server, several threads). Bound to loopback
by default: the app is for the machine it runs on; ``--host 0.0.0.0`` opens it to the network.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import Any

INSTALL_HINT = ("from telar's folder: .venv/bin/pip install -e '.[web]' (or: pip install flask "
                "waitress)")


#: Shown at the end of ``telar serve --help``.
EXAMPLES: tuple[str, ...] = (
    'telar serve',
    'telar serve --runs runs --port 8000',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="a local web app: classify images, browse runs and their reports",
        description="Serve a small web app: upload or photograph an image and see what each "
                    "trained model (every run folder under --runs with a model.npz) predicts, "
                    "with every class's probability, the 28x28 input and a saliency map; list "
                    "the runs with their summaries and reports.")
    parser.add_argument("--runs", metavar="DIR", default="runs",
                        help="the folder holding the run folders (default: runs)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--threads", type=int, default=8,
                        help="requests served at once (default: 8)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.errors import ConfigError

    try:
        import flask  # noqa: F401
        import waitress
    except ImportError as exc:
        raise ConfigError(f"telar serve needs the web extra ({exc.name} is not installed): "
                          f"{INSTALL_HINT}") from None
    from telar.app.web import create_app

    runs = Path(args.runs)
    if not runs.is_dir():
        raise ConfigError(f"--runs {runs}: no such folder (train a model first: "
                          f"telar train --out {runs}/NAME)")
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected 1..65535, got {args.port}")
    if args.threads < 1:
        raise ConfigError(f"--threads: expected an integer >= 1, got {args.threads}")
    app = create_app(runs)
    if not _is_loopback(args.host):
        sys.stderr.write(f"telar: warning: listening on {args.host}: other machines can reach "
                         "this app\n")
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"telar serve: {runs.resolve()} on http://{url_host}:{args.port}/ (Ctrl-C stops)",
          flush=True)
    try:
        waitress.serve(app, host=args.host, port=args.port, threads=args.threads,
                       ident="telar", _quiet=True)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port} "
                          f"({exc.strerror or exc})") from None
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
