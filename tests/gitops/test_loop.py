"""The reconcile loop with an injected cycle: failures, history, stop, metrics and the webhook."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.sources import SourceFile
from reconciler.errors import FlexctlError, StateError
from reconciler.gitops.lastgood import LastGoodStore
from reconciler.gitops.loop import CycleFunction, run_loop
from reconciler.gitops.metrics import Metrics
from reconciler.gitops.notify import Notifier
from reconciler.gitops.outcome import CycleOutcome, CycleResult
from reconciler.gitops.repo import CommitInfo, GitSource, open_source
from reconciler.gitops.status import StatusStore

from .gitrepos import CONFIG, Remote
from .webhooks import Webhook


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Scripted:
    """A cycle that plays back results (or raises), recording what it was given."""

    def __init__(self, *steps: CycleResult | Exception) -> None:
        self.steps = list(steps)
        self.seen: list[tuple[str, list[str]]] = []

    def __call__(self, commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        self.seen.append((commit.sha, [f.display_path for f in files]))
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def stop_after(stop: threading.Event, cycles: int) -> Any:
    """A sleep that ends the loop after ``cycles`` cycles, recording the intervals asked for."""
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        if len(waited) >= cycles:
            stop.set()

    sleep.waited = waited  # type: ignore[attr-defined]
    return sleep


@pytest.fixture
def source(remote: Remote, tmp_path: Path) -> Iterator[GitSource]:
    """The clone, read in place (no push, no fetch: most loop tests need no remote)."""
    remote.commit(CONFIG, "initial config")
    with open_source(str(remote.work_path), cache_dir=tmp_path / "state" / "git") as opened:
        yield opened


@pytest.fixture
def mirrored(remote: Remote, tmp_path: Path) -> Iterator[GitSource]:
    """A mirror of the bare remote, for the tests that make fetching fail."""
    remote.commit(CONFIG, "initial config")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path / "state" / "git") as opened:
        yield opened


def loop(
    source: GitSource,
    tmp_path: Path,
    cycle: CycleFunction,
    *,
    interval: float | None = 30.0,
    stop: threading.Event | None = None,
    history: int = 20,
    metrics: Metrics | None = None,
    notifier: Notifier | None = None,
    sleep: Any = None,
) -> tuple[CycleOutcome | None, StatusStore]:
    status = StatusStore(tmp_path / "state" / "reconcile" / "status.json", history=history)
    stop = stop if stop is not None else threading.Event()
    last = run_loop(
        source=source,
        ref="main",
        path="config",
        cycle=cycle,
        interval=interval,
        status=status,
        metrics=metrics,
        notifier=notifier,
        stop=stop,
        clock=Clock(),
        sleep=sleep if sleep is not None else stop_after(stop, 3),
        last_good=LastGoodStore(tmp_path / "state" / "git" / "lastgood.json"),
    )
    return last, status


def test_a_failing_cycle_does_not_stop_the_loop(source: GitSource, tmp_path: Path) -> None:
    cycle = Scripted(
        RuntimeError("engine bug"),
        StateError("apply.lock: held by another apply"),
        CycleResult("drift", drift_count=2, change_count=3),
    )
    stop = threading.Event()
    sleep = stop_after(stop, 3)
    last, status = loop(source, tmp_path, cycle, stop=stop, sleep=sleep)
    assert sleep.waited == [30.0, 30.0, 30.0]
    assert [o.result for o in status.outcomes()] == ["failed", "failed", "drift"]
    assert [o.message for o in status.outcomes()] == [
        "unexpected RuntimeError: engine bug",
        "apply.lock: held by another apply",
        "",
    ]
    sha = source.resolve("main").sha
    assert cycle.seen[0] == (
        sha,
        [f"{sha[:12]}:{p}" for p in sorted(CONFIG) if p.startswith("config/")],
    )
    assert last == status.last()
    assert last is not None and last.drift_count == 2 and last.commit is not None
    body = json.loads(status.path.read_text())
    assert body["last"]["commit"]["sha"] == sha
    assert body["lastSuccessAt"] == "2024-05-01T12:00:06+00:00"
    assert status.path.stat().st_mode & 0o777 == 0o600


def test_status_history_is_capped(source: GitSource, tmp_path: Path) -> None:
    cycle = Scripted(*[CycleResult("in-sync") for _ in range(7)])
    stop = threading.Event()
    _, status = loop(source, tmp_path, cycle, stop=stop, sleep=stop_after(stop, 7), history=5)
    outcomes = status.outcomes()
    assert len(outcomes) == 5
    assert outcomes[0].started_at == datetime(2024, 5, 1, 12, 0, 5, tzinfo=UTC)
    assert outcomes[-1].finished_at == datetime(2024, 5, 1, 12, 0, 14, tzinfo=UTC)


def test_history_survives_a_restart(source: GitSource, tmp_path: Path) -> None:
    loop(source, tmp_path, Scripted(CycleResult("in-sync")), interval=None)
    _, status = loop(source, tmp_path, Scripted(CycleResult("drift", drift_count=1)), interval=None)
    assert [o.result for o in status.outcomes()] == ["in-sync", "drift"]


def test_stop_before_the_first_cycle_runs_nothing(source: GitSource, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    cycle = Scripted()
    last, status = loop(source, tmp_path, cycle, stop=stop)
    assert last is None and cycle.seen == [] and status.outcomes() == []


def test_stop_wakes_the_interval_wait(source: GitSource, tmp_path: Path) -> None:
    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    last, _ = loop(
        source,
        tmp_path,
        Scripted(CycleResult("in-sync")),
        interval=3600,
        stop=stop,
        sleep=stop.wait,
    )
    timer.join()
    assert last is not None and last.result == "in-sync"


def test_fetch_failure_keeps_the_last_good_commit_and_fails_the_cycle(
    remote: Remote, mirrored: GitSource, tmp_path: Path
) -> None:
    metrics = Metrics()
    loop(mirrored, tmp_path, Scripted(CycleResult("in-sync")), interval=None, metrics=metrics)
    good = mirrored.resolve("main")
    shutil.rmtree(remote.bare_path)
    cycle = Scripted(CycleResult("drift", drift_count=1, change_count=1, message="1 pending"))
    last, status = loop(mirrored, tmp_path, cycle, interval=None, metrics=metrics)
    assert cycle.seen[0][0] == good.sha  # the last good commit was read and planned
    assert last is not None and last.commit == good
    # Failed for alerting, with what the last good commit found kept in the message and counts.
    assert (last.result, last.fetch_failed, last.drift_count) == ("failed", True, 1)
    said = f"fetch failed; the last good commit {good.short_sha} was drift: 1 pending"
    assert last.message == said
    assert last.fetch_warning is not None
    assert last.fetch_warning.startswith(f"fetch failed, using last good {good.short_sha}: ")
    assert f"warning: fetch failed, using last good {good.short_sha}" in last.summary()
    body = json.loads(status.path.read_text())
    assert body["lastSuccessAt"] == body["history"][0]["finishedAt"]  # the first cycle's
    assert body["last"]["fetchFailed"] is True
    text = metrics.text()
    assert "flexctl_reconcile_fetch_failures_total 1.0" in text.splitlines()
    first = datetime.fromisoformat(body["history"][0]["finishedAt"]).timestamp()
    assert f"flexctl_reconcile_last_success_timestamp_seconds {first:.9e}" in text


def test_a_failed_cycle_is_not_remembered_as_good(
    remote: Remote, mirrored: GitSource, tmp_path: Path
) -> None:
    loop(mirrored, tmp_path, Scripted(FlexctlError("boom")), interval=None)
    shutil.rmtree(remote.bare_path)
    last, _ = loop(mirrored, tmp_path, Scripted(), interval=None)
    assert last is not None and last.result == "failed" and last.commit is None
    assert last.message.endswith("(and no last good commit of ref main to fall back to)")


def test_metrics_are_served_over_http(source: GitSource, tmp_path: Path) -> None:
    metrics = Metrics()
    port = metrics.serve(0, addr="127.0.0.1")
    try:
        cycle = Scripted(CycleResult("drift", drift_count=4, change_count=5), RuntimeError("x"))
        stop = threading.Event()
        loop(source, tmp_path, cycle, stop=stop, sleep=stop_after(stop, 2), metrics=metrics)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        metrics.close()
    sha = source.resolve("main").sha
    lines = set(text.splitlines())
    assert 'flexctl_reconcile_cycles_total{result="drift"} 1.0' in lines
    assert 'flexctl_reconcile_cycles_total{result="failed"} 1.0' in lines
    assert 'flexctl_reconcile_cycles_total{result="in-sync"} 0.0' in lines
    assert "flexctl_reconcile_drift_objects 4.0" in lines  # the failed cycle measured nothing
    assert "flexctl_reconcile_pending_changes 5.0" in lines
    assert "flexctl_reconcile_last_success_timestamp_seconds 1.714564802e+09" in lines
    assert (
        f'flexctl_reconcile_last_commit_info{{author="test@example.invalid",'
        f'repo="{source.display}",sha="{sha}"}} 1.0'
    ) in lines
    assert metrics.text() == text


def test_webhook_is_told_of_drift_and_failure_once_each(
    source: GitSource, tmp_path: Path, webhook: Webhook
) -> None:
    notifier = Notifier(webhook.url, ref="main")
    cycle = Scripted(
        CycleResult("in-sync"),
        CycleResult("drift", drift_count=1, change_count=1),
        CycleResult("drift", drift_count=1, change_count=1),  # the same drift: not again
        FlexctlError("the control plane is down"),
        CycleResult("healed", drift_count=1, change_count=1, applied_count=1),
    )
    stop = threading.Event()
    try:
        loop(source, tmp_path, cycle, stop=stop, sleep=stop_after(stop, 5), notifier=notifier)
    finally:
        notifier.close()
    sha = source.resolve("main").sha
    assert [(b["event"], b["driftCount"], b["message"]) for b in webhook.bodies] == [
        ("drift", 1, ""),
        ("failed", 0, "the control plane is down"),
        ("healed", 1, ""),
    ]
    first = webhook.bodies[0]
    assert first["source"] == "flexctl" and first["ref"] == "main"
    assert (
        first["commit"]["sha"] == sha and first["commit"]["authorEmail"] == "test@example.invalid"
    )


def test_a_webhook_that_fails_is_logged_without_its_url(
    source: GitSource, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refusing = Webhook(status=500)
    dead = Webhook()
    dead.close()  # nothing listens on its port any more
    try:
        for hook in (refusing, dead):
            notifier = Notifier(hook.url, ref="main", timeout=2)
            try:
                last, _ = loop(
                    source,
                    tmp_path,
                    Scripted(CycleResult("drift", drift_count=1)),
                    interval=None,
                    notifier=notifier,
                )
            finally:
                notifier.close()
            assert last is not None and last.result == "drift"
            tmp_path = tmp_path / "again"  # a fresh history: the same drift would not notify
    finally:
        refusing.close()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "webhook notification refused: HTTP 500",
        "webhook notification failed: ConnectError",
    ]
    assert len(refusing.bodies) == 1
    assert "T0KEN" not in caplog.text and "127.0.0.1" not in caplog.text
