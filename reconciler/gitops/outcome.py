"""What one reconcile cycle produced: the engine's ``CycleResult`` and the loop's ``CycleOutcome``.

Values only. The engine's cycle function returns a ``CycleResult`` (what it found and did); the
loop wraps it into a ``CycleOutcome`` with the commit, the times and any fetch warning, which the
status file, the metrics and the webhook all read. Messages never hold a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from reconciler.gitops.objects import ObjectLists
from reconciler.gitops.repo import CommitInfo

#: in-sync: live matches the commit; drift: it does not (report mode, or what heal could not
#: fix); healed: heal mode applied changes and converged; failed: the cycle could not finish.
Result = Literal["in-sync", "drift", "healed", "failed"]
RESULTS: tuple[Result, ...] = ("in-sync", "drift", "healed", "failed")


@dataclass(frozen=True)
class CycleResult:
    """What the engine's cycle function returns."""

    result: Result
    #: Live objects that differ from the commit (before healing).
    drift_count: int = 0
    #: Changes the plan holds (creates, updates, deletes).
    change_count: int = 0
    #: Changes applied this cycle (heal mode only).
    applied_count: int = 0
    message: str = ""
    #: The objects behind the counts (the loop caps the lists).
    objects: ObjectLists = field(default_factory=ObjectLists)
    #: ``Plan.digest()`` of the cycle's plan (named in a hydration commit).
    plan_digest: str | None = None
    #: Which control plane the cycle talked to (``engine.session.Connection.target``).
    target: Mapping[str, str] = field(default_factory=dict)
    #: The control plane's failed answers this cycle, by HTTP status (``transport``: none).
    api_errors: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CycleOutcome:
    commit: CommitInfo | None
    started_at: datetime
    finished_at: datetime
    result: Result
    drift_count: int = 0
    change_count: int = 0
    applied_count: int = 0
    message: str = ""
    #: Set when the commit was not the ref's newest: fetch failed, ref unreadable, force-push.
    fetch_warning: str | None = None
    #: The repository could not be fetched. Such a cycle is ``failed`` (for alerting: the
    #: config in Git is not being followed) even when it ran on the last good commit.
    fetch_failed: bool = False
    objects: ObjectLists = field(default_factory=ObjectLists)
    #: Which control plane the cycle talked to (empty when it failed before connecting).
    target: Mapping[str, str] = field(default_factory=dict)
    #: The control plane's failed answers this cycle, by HTTP status (``transport``: none).
    api_errors: Mapping[str, int] = field(default_factory=dict)

    @property
    def sha(self) -> str | None:
        return self.commit.sha if self.commit is not None else None

    def summary(self) -> str:
        """One line for the log: what happened, on which commit."""
        at = self.commit.short_sha if self.commit is not None else "no commit"
        line = (
            f"{self.finished_at.isoformat()} {self.result} at {at}: drift={self.drift_count} "
            f"changes={self.change_count} applied={self.applied_count}"
        )
        if self.message:
            line += f"; {self.message}"
        if self.fetch_warning:
            line += f"; warning: {self.fetch_warning}"
        return line

    def lines(self) -> list[str]:
        """The summary, then one indented line per object: what the log of a cycle shows."""
        return [self.summary(), *(f"  {line}" for line in self.objects.lines())]

    def as_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit.as_json() if self.commit is not None else None,
            "startedAt": self.started_at.isoformat(),
            "finishedAt": self.finished_at.isoformat(),
            "result": self.result,
            "driftCount": self.drift_count,
            "changeCount": self.change_count,
            "appliedCount": self.applied_count,
            "message": self.message,
            "fetchWarning": self.fetch_warning,
            "fetchFailed": self.fetch_failed,
            "objects": self.objects.as_json(),
            "target": dict(self.target),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CycleOutcome:
        if data.get("result") not in RESULTS:
            raise ValueError(f"unknown result {data.get('result')!r}")
        commit = data.get("commit")
        return cls(
            commit=CommitInfo.from_json(commit) if commit is not None else None,
            started_at=datetime.fromisoformat(data["startedAt"]),
            finished_at=datetime.fromisoformat(data["finishedAt"]),
            result=cast(Result, data["result"]),
            drift_count=int(data.get("driftCount", 0)),
            change_count=int(data.get("changeCount", 0)),
            applied_count=int(data.get("appliedCount", 0)),
            message=str(data.get("message", "")),
            fetch_warning=data.get("fetchWarning"),
            fetch_failed=bool(data.get("fetchFailed", False)),
            objects=ObjectLists.from_json(data.get("objects")),
            target=dict(data.get("target") or {}),
        )
