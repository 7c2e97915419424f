"""Metrics for both deployments (issue 14 item 3): a cycle-duration histogram, the control
plane's failed answers by status, a build-info gauge, and ``--metrics-push`` to a
Pushgateway (a real HTTP server on loopback that records what it is sent)."""

from __future__ import annotations

import platform
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler import __version__
from reconciler.api.errors import ApiError
from reconciler.errors import FlexctlError
from reconciler.gitops.metrics import Metrics
from reconciler.gitops.outcome import CycleResult

from ..api.fakeapi import FakeApi, ok, problem, run
from .example import flexctl
from .gitrepos import Remote
from .test_loop import Scripted, loop, source  # noqa: F401 (the fixture)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


class Gateway:
    """A Pushgateway stand-in: records each request's method, path and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                gateway.requests.append((self.command, self.path, body))
                self.send_response(200)
                self.end_headers()

            do_PUT = do_POST = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    made = Gateway()
    yield made
    made.close()


def test_duration_api_errors_and_build_info(source: Any, tmp_path: Path) -> None:  # noqa: F811
    failure = FlexctlError("the control plane answered 500")
    failure.api_errors = {"500": 3, "transport": 1}
    metrics = Metrics()
    cycle = Scripted(CycleResult("in-sync", api_errors={"429": 2}), failure)
    loop(source, tmp_path, cycle, interval=None, metrics=metrics)
    loop(source, tmp_path, cycle, interval=None, metrics=metrics)
    found = samples(metrics.text())
    assert found[("flexctl_api_errors_total", (("status", "429"),))] == 2
    assert found[("flexctl_api_errors_total", (("status", "500"),))] == 3
    assert found[("flexctl_api_errors_total", (("status", "transport"),))] == 1
    assert found[("flexctl_reconcile_cycle_duration_seconds_count", ())] == 2
    build = (("python", platform.python_version()), ("version", __version__))
    assert found[("flexctl_build_info", build)] == 1


def test_the_session_counts_failed_answers_by_status() -> None:
    api = FakeApi()
    api.on("GET", "/v1/organizations", problem(404, "resource-not-found"), ok({"data": []}))

    async def go() -> dict[str, int]:
        async with api.client() as client:
            with pytest.raises(ApiError):
                await client.list_organizations()
            return dict(client.calls.errors)

    assert run(go()) == {"404": 1}


def test_once_pushes_the_cycle_to_the_gateway(
    example_remote: Remote, gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    argv = ("reconcile", "--repo", example_remote.url, "--once", "--mode", "report")
    assert flexctl(*argv, "--metrics-push", gateway.url) == 2  # grants pending: drift
    [(method, path, body)] = gateway.requests
    assert (method, path) == ("PUT", "/metrics/job/flexctl-reconcile")
    found = samples(body)
    assert found[("flexctl_reconcile_cycles_total", (("result", "drift"),))] == 1
    assert found[("flexctl_reconcile_cycle_duration_seconds_count", ())] == 1
    assert ("flexctl_build_info", (("python", platform.python_version()),
            ("version", __version__))) in found  # fmt: skip
    # A gateway that is down is a warning naming it, never the reason the job fails.
    down = gateway.url.replace("http://", "http://user:CANARY-PUSH-PW@")
    gateway.close()
    caplog.clear()
    assert flexctl(*argv, "--metrics-push", down) == 2
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "cannot push the metrics" in logged and "CANARY-PUSH-PW" not in logged
