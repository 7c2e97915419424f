"""A real HTTP server on 127.0.0.1 speaking the Secret/Namespace subset of the Kubernetes
API (GET/POST namespaces; GET/POST/PUT/PATCH/DELETE secrets), enough for the kube client.
``stringData`` is folded into base64 ``data`` as the API server does; every request is
recorded so tests can assert what was sent."""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NS = re.compile(r"^/api/v1/namespaces(?:/([^/]+))?$")
SECRET = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")


class FakeKube:
    def __init__(self) -> None:
        self.namespaces: set[str] = set()
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.version = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeKube:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def put_secret(self, namespace: str, body: dict[str, Any]) -> None:
        self.namespaces.add(namespace)
        self._store(namespace, body)

    def _store(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        body = json.loads(json.dumps(body))
        data = dict(body.get("data") or {})
        for key, value in (body.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        body["data"] = data
        self.version += 1
        body.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        body["metadata"]["namespace"] = namespace
        self.secrets[(namespace, body["metadata"]["name"])] = body
        return body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        kube = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _status(self, code: int, reason: str, message: str) -> None:
                self._send(
                    code,
                    {
                        "kind": "Status",
                        "apiVersion": "v1",
                        "status": "Failure",
                        "message": message,
                        "reason": reason,
                        "code": code,
                    },
                )

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _route(self, method: str) -> None:
                path = self.path.split("?")[0]
                kube.requests.append((method, path))
                if m := SECRET.match(path):
                    return self._secret(method, m.group(1), m.group(2))
                if m := NS.match(path):
                    return self._namespace(method, m.group(1))
                self._status(404, "NotFound", f"no route {path}")

            def _namespace(self, method: str, name: str | None) -> None:
                if method == "GET" and name:
                    if name in kube.namespaces:
                        return self._send(
                            200,
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                        )
                    return self._status(404, "NotFound", f'namespaces "{name}" not found')
                if method == "POST" and not name:
                    body = self._body()
                    kube.namespaces.add(body["metadata"]["name"])
                    return self._send(201, body)
                self._status(405, "MethodNotAllowed", method)

            def _secret(self, method: str, ns: str, name: str | None) -> None:
                if ns not in kube.namespaces:
                    return self._status(404, "NotFound", f'namespaces "{ns}" not found')
                key = (ns, name or "")
                if method == "POST":
                    body = self._body()
                    if (ns, body["metadata"]["name"]) in kube.secrets:
                        return self._status(409, "AlreadyExists", "exists")
                    return self._send(201, kube._store(ns, body))
                if key not in kube.secrets:
                    return self._status(404, "NotFound", f'secrets "{name}" not found')
                if method == "GET":
                    return self._send(200, kube.secrets[key])
                if method == "PUT":
                    return self._send(200, kube._store(ns, self._body()))
                if method == "PATCH":
                    merged = {**kube.secrets[key], **self._body()}
                    return self._send(200, kube._store(ns, merged))
                if method == "DELETE":
                    del kube.secrets[key]
                    return self._send(200, {"kind": "Status", "status": "Success"})
                self._status(405, "MethodNotAllowed", method)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PUT(self) -> None:
                self._route("PUT")

            def do_PATCH(self) -> None:
                self._route("PATCH")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        return Handler


def write_kubeconfig(path: Path, contexts: dict[str, str]) -> Path:
    """A kubeconfig with one context per (name -> server URL), token auth."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in contexts.items()],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "tester"}} for n in contexts],
        "current-context": next(iter(contexts)),
    }
    path.write_text(json.dumps(config))
    return path
