"""``telar serve [--runs DIR] [--host 127.0.0.1] [--port 8000]``: the local web app.

Flask behind waitress (a production-grade WSGI server, several threads). Bound to loopback
by default: the app is for the machine it runs on; ``--host 0.0.0.0`` opens it to the network.

waitress is held to the app's own limits (:func:`waitress_settings`): a request body over the
upload limit is refused with 413 from its ``Content-Length`` (or as a chunked body passes it)
before it is stored; a connection idle for :data:`IDLE_SECONDS` is closed, and up to
:data:`CONNECTIONS` may be open at once, so a hundred idle sockets do not stop it answering.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

from telar.app.devices import add_device_option

INSTALL_HINT = ("from telar's folder: .venv/bin/pip install -e '.[web]' (or: pip install flask "
                "waitress)")
#: The most request threads (each may decode an upload; memory is bounded apart from this).
MAX_THREADS = 64
#: Connections open at once (waitress's default, 100, let 100 idle sockets stop the server).
CONNECTIONS = 1000
#: Seconds a connection may stay idle (waitress's default: 120) before it is closed.
IDLE_SECONDS = 30


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
                        help=f"requests served at once, 1 to {MAX_THREADS} (default: 8)")
    add_device_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.errors import ConfigError

    try:
        import flask  # noqa: F401
        import waitress
    except ImportError as exc:
        raise ConfigError(f"telar serve needs the web extra ({exc.name} is not installed): "
                          f"{INSTALL_HINT}") from None
    from telar.app.devices import choose_device
    from telar.app.web import create_app

    runs = Path(args.runs)
    if not runs.is_dir():
        raise ConfigError(f"--runs {runs}: no such folder (train a model first: "
                          f"telar train --out {runs}/NAME)")
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected 1..65535, got {args.port}")
    if not 1 <= args.threads <= MAX_THREADS:
        raise ConfigError(f"--threads: expected an integer in [1, {MAX_THREADS}], got "
                          f"{args.threads}")
    _check_host(args.host, args.port)
    on = choose_device(args.device)
    app = create_app(runs, on=on)
    if not _is_loopback(args.host):
        sys.stderr.write(f"telar: warning: listening on {args.host}: other machines can reach "
                         "this app\n")
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"telar serve: {runs.resolve()} on http://{url_host}:{args.port}/ (Ctrl-C stops)",
          flush=True)
    try:
        waitress.serve(app, **waitress_settings(app, args.host, args.port, args.threads),
                       _quiet=True)
    except (OSError, ValueError) as exc:  # waitress: ValueError "Invalid host/port specified"
        raise ConfigError(f"cannot listen on {args.host}:{args.port} "
                          f"({getattr(exc, 'strerror', None) or exc})") from None
    return 0


def waitress_settings(app: Any, host: str, port: int, threads: int) -> dict[str, Any]:
    """waitress's settings for ``app``: its request-body limit is the app's own (the upload
    limit plus room for the form), so an oversized upload is refused at the door."""
    return {"host": host, "port": port, "threads": threads, "ident": "telar",
            "max_request_body_size": app.config["MAX_CONTENT_LENGTH"],
            "connection_limit": CONNECTIONS, "channel_timeout": IDLE_SECONDS,
            "cleanup_interval": 5}


def _check_host(host: str, port: int) -> None:
    """ConfigError when ``host`` is no address this machine can listen on (``999.1.1.1``)."""
    from telar.errors import ConfigError

    if not host or "\x00" in host or len(host) > 253:
        raise ConfigError(f"--host: expected an address or host name, got {host!r}")
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"--host {host}: not an address this machine can listen on "
                          f"({getattr(exc, 'strerror', None) or exc})") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
