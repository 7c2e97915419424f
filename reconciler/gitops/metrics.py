"""Prometheus metrics of the reconcile loop, on a registry of their own.

A private ``CollectorRegistry`` keeps tests independent and keeps the process's default
collectors out (the exporter serves only what flexctl means). The HTTP endpoint is started only
when the user asks for a port. Labels hold no secrets: the repository is the redacted one.
"""

from __future__ import annotations

import platform
from datetime import datetime
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
    push_to_gateway,
    write_to_textfile,
)
from prometheus_client.exposition import start_http_server

from reconciler import __version__
from reconciler.errors import StateError
from reconciler.gitops.objects import STATES
from reconciler.gitops.outcome import RESULTS, CycleOutcome

#: Cycle duration buckets (seconds): a no-op cycle takes about a second, a large heal minutes.
CYCLE_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: The Pushgateway job flexctl pushes to.
PUSH_JOB = "flexctl-reconcile"


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
        self.duration = Histogram(
            "flexctl_reconcile_cycle_duration_seconds",
            "How long a cycle took, fetch to status (every result).",
            buckets=CYCLE_BUCKETS,
            registry=self.registry,
        )
        self.api_errors = Counter(
            "flexctl_api_errors",
            "Failed answers of the control plane's API by HTTP status (transport: no answer), "
            "retried ones included.",
            ["status"],
            registry=self.registry,
        )
        self.build = Gauge(
            "flexctl_build_info",
            "Always 1; the running flexctl's version and Python.",
            ["version", "python"],
            registry=self.registry,
        )
        self.build.labels(version=__version__, python=platform.python_version()).set(1)
        self._server: WSGIServer | None = None

    def seed(self, *, last_success: datetime | None) -> None:
        """Start from the status document: a ``--once`` process must not report 0 (1970) as
        the last success, which would page at once, nor forget it after a fetch failure."""
        if last_success is not None:
            self.last_success.set(last_success.timestamp())

    def observe(self, outcome: CycleOutcome) -> None:
        self.cycles.labels(result=outcome.result).inc()
        seconds = (outcome.finished_at - outcome.started_at).total_seconds()
        self.duration.observe(max(seconds, 0.0))
        for status, count in sorted(outcome.api_errors.items()):
            self.api_errors.labels(status=status).inc(count)
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

    def push(self, gateway: str, *, job: str = PUSH_JOB) -> None:
        """Replace this job's group on a Pushgateway (``PUT /metrics/job/<job>``): for
        ``--once`` runs, where nothing stays up to be scraped. A failure names the gateway
        (never its credentials) and is an error."""
        from reconciler.redact import redact_userinfo

        try:
            push_to_gateway(gateway, job=job, registry=self.registry, timeout=10)
        except OSError as e:
            raise StateError(
                f"{redact_userinfo(gateway)}: cannot push the metrics: {getattr(e, 'reason', e)}"
            ) from e

    def text(self) -> str:
        return generate_latest(self.registry).decode()
