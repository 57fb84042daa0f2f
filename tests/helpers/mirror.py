"""A local HTTP mirror on 127.0.0.1 to download from: files by name, a behaviour per name
(errors, dropped connections, floods, lying sizes), Range requests."""

from __future__ import annotations

import http.server


class MirrorServer(http.server.ThreadingHTTPServer):
    """A tiny HTTP mirror: ``files`` by name, a ``behaviour`` per name, Range support."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MirrorHandler)
        self.files: dict[str, bytes] = {}
        # name -> "ok" | "500" | "drop_once" (send half, then hang up, the first time)
        # | "flood" (no Content-Length: the file, then `flood_bytes` more, then hang up)
        # | "claims_huge" (announces a 3 GB Content-Length, sends the file, hangs up)
        self.behaviour: dict[str, str] = {}
        self.ranges = True  # honour Range requests (206) or always send the whole file
        self.requests: list[tuple[str, str | None]] = []
        self.dropped: set[str] = set()
        self.flood_bytes = 64 << 20
        self.flood_sent = 0  # bytes of flood the client accepted before hanging up

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    server: MirrorServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        name = self.path.lstrip("/")
        range_header = self.headers.get("Range")
        self.server.requests.append((name, range_header))
        behaviour = self.server.behaviour.get(name, "ok")
        if behaviour == "500":
            self.send_error(500, "Internal Server Error")
            return
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404, "Not Found")
            return
        if behaviour == "flood":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)
            chunk = bytes(1 << 16)
            try:
                while self.server.flood_sent < self.server.flood_bytes:
                    self.wfile.write(chunk)
                    self.server.flood_sent += len(chunk)
            except OSError:
                pass  # the client hung up
            self.close_connection = True
            return
        if behaviour == "claims_huge":
            self.send_response(200)
            self.send_header("Content-Length", str(3 << 30))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        start = 0
        if range_header and self.server.ranges:
            start = int(range_header.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        rest = body[start:]
        if behaviour == "drop_once" and name not in self.server.dropped:
            self.server.dropped.add(name)
            self.wfile.write(rest[: len(rest) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(rest)

    def log_message(self, *args) -> None:
        pass
