"""The scheduled reconcile loop: fetch, read the commit, run the engine's cycle, record, repeat.

Engine-agnostic: what a cycle does (load, plan, maybe apply) is the ``cycle`` function handed in;
this module owns only the rhythm around it. Guarantees:

- a failing cycle (any ``Exception``, ``FlexctlError`` or a bug) is recorded as ``failed`` and
  the loop goes on; only ``BaseException`` (KeyboardInterrupt, SystemExit) escapes;
- a fetch failure keeps the last good commit and says so (``lastgood.select_commit``), and the
  cycle is ``failed`` all the same (``fetch_failed``): alerts must fire while the remote is down;
- ``stop`` is checked between cycles and wakes the interval wait at once. A cycle in flight is
  never interrupted from here: the engine observes ``stop`` itself, between changes, and returns
  after finishing the change it is making (see ``docs/gitops.md``);
- every outcome is written to the status file, counted in the metrics and, for drift and
  failures, sent to the webhook; none of these can stop the loop either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from reconciler.collector import thaw
from reconciler.config.sources import SourceFile
from reconciler.errors import FlexctlError
from reconciler.gitops.lastgood import FetchFailedError, LastGoodStore, select_commit
from reconciler.gitops.metrics import Metrics
from reconciler.gitops.notify import Notifier
from reconciler.gitops.objects import DEFAULT_CAP
from reconciler.gitops.outcome import CycleOutcome, CycleResult
from reconciler.gitops.repo import CommitInfo, GitSource, redact
from reconciler.gitops.status import StatusStore

log = logging.getLogger(__name__)

#: What the engine provides: read ``files`` (the documents of ``commit``), plan against live
#: state, apply in heal mode, and say what happened. May raise; the loop records the failure.
CycleFunction = Callable[[CommitInfo, list[SourceFile]], CycleResult]


def utcnow() -> datetime:
    return datetime.now(UTC)


def run_cycle(
    *,
    source: GitSource,
    ref: str,
    cycle: CycleFunction,
    clock: Callable[[], datetime] = utcnow,
    last_good: LastGoodStore | None = None,
    path: str = "",
    object_cap: int = DEFAULT_CAP,
) -> CycleOutcome:
    """One cycle, never raising an ``Exception``: a failure becomes a ``failed`` outcome.

    A fetch failure makes the cycle ``failed`` even when the last good commit was read and
    planned (its counts and objects are kept): the remote being down is what must page.
    """
    started = clock()
    commit: CommitInfo | None = None
    warning: str | None = None
    fetch_failed = False
    try:
        selection = select_commit(source, ref, last_good)
        commit, fetch_failed = selection.commit, selection.fetch_failed
        warning = "; ".join(selection.warnings) or None
        result = cycle(commit, source.files_at(commit.sha, path))
        if result.result != "failed" and last_good is not None and not fetch_failed:
            last_good.remember(ref, commit)
        if fetch_failed:
            result = _fetch_failed(result, commit)
    except FlexctlError as e:
        # The message is the cycle's outcome; what caused it (a library's error) is for -vv.
        log.debug("cycle failed", exc_info=True)
        fetch_failed = fetch_failed or isinstance(e, FetchFailedError)
        result = CycleResult(result="failed", message=_message(e), api_errors=e.api_errors)
    except Exception as e:
        # A bug in the engine must not end a long-running loop; the traceback goes to the log.
        log.debug("cycle raised", exc_info=True)
        result = CycleResult(result="failed", message=f"unexpected {type(e).__name__}: {e}")
    return CycleOutcome(
        commit=commit,
        started_at=started,
        finished_at=clock(),
        result=result.result,
        drift_count=result.drift_count,
        change_count=result.change_count,
        applied_count=result.applied_count,
        message=redact(result.message),
        fetch_warning=warning,
        fetch_failed=fetch_failed,
        objects=result.objects.capped(object_cap),
        target=result.target,
        api_errors=result.api_errors,
    )


def _fetch_failed(result: CycleResult, commit: CommitInfo) -> CycleResult:
    said = f": {result.message}" if result.message else ""
    return replace(
        result,
        result="failed",
        message=f"fetch failed; the last good commit {commit.short_sha} was {result.result}{said}",
    )


def _message(error: FlexctlError) -> str:
    # A ConfigError's str() is only a count; its render() has every path:line:col.
    lines = [line for line in error.render().removeprefix("error: ").splitlines() if line.strip()]
    return "; ".join(lines) if lines else str(error)


def run_loop(
    *,
    source: GitSource,
    ref: str,
    cycle: CycleFunction,
    interval: float | None,
    status: StatusStore,
    metrics: Metrics | None,
    notifier: Notifier | None,
    stop: threading.Event,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], object] | None = None,
    last_good: LastGoodStore | None = None,
    path: str = "",
    on_outcome: Callable[[CycleOutcome], None] | None = None,
    object_cap: int = DEFAULT_CAP,
) -> CycleOutcome | None:
    """Run cycles until ``stop`` is set (or once, when ``interval`` is ``None``).

    ``sleep(seconds)`` waits between cycles; the default ``stop.wait`` returns early on stop.
    Returns the last outcome, or ``None`` when ``stop`` was set before the first cycle.
    """
    wait = sleep if sleep is not None else stop.wait
    last: CycleOutcome | None = None
    while not stop.is_set():
        last = run_cycle(
            source=source,
            ref=ref,
            cycle=cycle,
            clock=clock,
            last_good=last_good,
            path=path,
            object_cap=object_cap,
        )
        _publish(last, status=status, metrics=metrics, notifier=notifier)
        if on_outcome is not None:
            on_outcome(last)
        if interval is None or stop.is_set():
            break
        thaw()  # what this cycle froze (collector.paused) is collectable again
        wait(interval)
    return last


def _publish(
    outcome: CycleOutcome,
    *,
    status: StatusStore,
    metrics: Metrics | None,
    notifier: Notifier | None,
) -> None:
    previous: CycleOutcome | None = None
    try:
        previous = status.last()
    except FlexctlError as e:
        log.warning("%s (starting a new history)", e)
    try:
        status.record(outcome)
    except (FlexctlError, OSError) as e:
        log.warning("cannot write the reconcile status %s: %s", status.where, e)
    if metrics is not None:
        metrics.observe(outcome)
    if notifier is not None and notifier.should_notify(outcome, previous):
        notifier.notify(outcome)
