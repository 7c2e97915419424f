"""What the in-process JSON emulations (``gcpsm.py``, ``azurekv.py``) share: a quiet
handler that answers JSON and sends every method to one ``_route``, and a server run in a
thread of the test process on a free loopback port until the generator is closed."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the emulation records."""

    def _route(self, method: str) -> None:
        raise NotImplementedError

    def _answer(self, status: int, body: dict[str, Any] | None, **headers: str) -> None:
        """``body`` as JSON (None: no body); ``WWW_Authenticate=`` sends that header."""
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


class StateServer(ThreadingHTTPServer):
    daemon_threads = True
    state: Any


def run(
    handler: type[JsonHandler],
    state: Any,
    *,
    name: str,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[Any]:
    """Serve ``handler`` (HTTPS with ``tls`` = (cert, key)) with ``state(url, port)`` as the
    server's ``state``; yields the state until the generator is closed."""
    server = StateServer(("127.0.0.1", 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    server.state = state(f"{'https' if tls else 'http'}://127.0.0.1:{port}", port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
