"""Prometheus metrics of the reconcile loop, on a registry of their own.

A private ``CollectorRegistry`` keeps tests independent and keeps the process's default
collectors out (the exporter serves only what flexctl means). The HTTP endpoint is started only
when the user asks for a port. Labels hold no secrets: the repository is the redacted one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Info,
    generate_latest,
    write_to_textfile,
)
from prometheus_client.exposition import start_http_server

from reconciler.errors import StateError
from reconciler.gitops.objects import STATES
from reconciler.gitops.outcome import RESULTS, CycleOutcome


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.cycles = Counter(
            "flexctl_reconcile_cycles",
            "Reconcile cycles by result.",
            ["result"],
            registry=self.registry,
        )
        for result in RESULTS:
            self.cycles.labels(result=result)  # export zeros: rate() needs the series to exist
        self.drift = Gauge(
            "flexctl_reconcile_drift_objects",
            "Live objects that differ from the config, as of the last cycle that got that far.",
            registry=self.registry,
        )
        self.changes = Gauge(
            "flexctl_reconcile_pending_changes",
            "Changes the last plan held.",
            registry=self.registry,
        )
        self.objects = Gauge(
            "flexctl_reconcile_objects",
            "Objects by state (drifted, pending, blocked, failed) as of the last cycle that "
            "got that far; which ones is in the status file and the log.",
            ["state"],
            registry=self.registry,
        )
        for state in STATES:
            self.objects.labels(state=state)
        self.last_success = Gauge(
            "flexctl_reconcile_last_success_timestamp_seconds",
            "When the last cycle that did not fail finished (Unix time).",
            registry=self.registry,
        )
        self.fetch_failures = Counter(
            "flexctl_reconcile_fetch_failures",
            "Cycles that could not fetch the repository (failed, even when the last good commit "
            "was used).",
            registry=self.registry,
        )
        self.commit = Info(
            "flexctl_reconcile_last_commit",
            "The commit the last cycle read.",
            registry=self.registry,
        )
        self._server: WSGIServer | None = None

    def seed(self, *, last_success: datetime | None) -> None:
        """Start from the status document: a ``--once`` process must not report 0 (1970) as
        the last success, which would page at once, nor forget it after a fetch failure."""
        if last_success is not None:
            self.last_success.set(last_success.timestamp())

    def observe(self, outcome: CycleOutcome) -> None:
        self.cycles.labels(result=outcome.result).inc()
        if outcome.result == "failed" and outcome.objects.failed:
            self.objects.labels(state="failed").set(outcome.objects.total("failed"))
        if outcome.fetch_failed:
            self.fetch_failures.inc()
        if outcome.result == "failed":
            return  # a failed cycle measured nothing: keep the last known drift
        for state in STATES:
            self.objects.labels(state=state).set(outcome.objects.total(state))
        self.drift.set(outcome.drift_count)
        self.changes.set(outcome.change_count)
        self.last_success.set(outcome.finished_at.timestamp())
        if outcome.commit is not None:
            self.commit.info(
                {
                    "sha": outcome.commit.sha,
                    "repo": outcome.commit.repo,
                    "author": outcome.commit.author_email,
                }
            )

    def serve(self, port: int, *, addr: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` on a daemon thread; returns the bound port (``0`` picks one).

        Loopback unless told otherwise: the counters name the repository and the commit
        author, which is not for every host on the network.
        """
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        self._server = server
        return int(server.server_address[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def write_textfile(self, path: Path) -> None:
        """The metrics in the text format at ``path``, replaced atomically (a collector
        reading it never sees half a file); a failure is an error naming the path."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_to_textfile(str(path), self.registry)
        except OSError as e:
            raise StateError(f"{path}: cannot write the metrics: {e.strerror or e}") from e

    def text(self) -> str:
        return generate_latest(self.registry).decode()
