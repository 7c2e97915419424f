"""Audit log: one record per applied change: ``<state>/audit.jsonl`` (one JSON line each) with
the local backend, the ``audit/<time>-<run>`` document of a shared backend.

Each record: time (UTC), run id, actor, config digest, source (repo, commit, author),
the change (action, kind, name, id, changed field paths) and its outcome. Field *values*
are not recorded (they may be digests of secrets, and the plan JSON has them anyway);
error messages come from FlexctlError, which never carries secrets. Shared: one document
per run, rewritten as records are added (so a killed run keeps what it did); on the git
backend every record is a commit whose message is the record itself.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.core.plan import Change
from reconciler.state import StateBackend
from reconciler.state.local import LocalBackend


def current_actor(env: Mapping[str, str]) -> str:
    """Who is applying: the CI actor when there is one, else the local user."""
    for name in ("FLEXCTL_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR"):
        if env.get(name):
            return env[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def run_document_name(started: datetime, run_id: str) -> str:
    """A run's audit document on a shared backend; sortable by time, so `flexctl state show`
    lists runs oldest first (and `state migrate` names local runs the same way)."""
    return f"audit/{started.strftime('%Y%m%dT%H%M%S')}-{run_id[:12]}"


class AuditLog:
    def __init__(
        self, backend: StateBackend, *, actor: str, config_digest: str, source: Mapping[str, str]
    ) -> None:
        self.backend = backend
        self.run_id = uuid.uuid4().hex
        started = datetime.now(UTC)
        self.name = run_document_name(started, self.run_id)
        self._base = {
            "runId": self.run_id,
            "actor": actor,
            "configDigest": config_digest,
            "source": dict(source),
        }
        self._records: list[dict[str, Any]] = []
        self._revision: str | None = None
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._local = backend.root / "audit.jsonl" if isinstance(backend, LocalBackend) else None

    def record(
        self,
        change: Change,
        *,
        outcome: str,
        object_id: str | None = None,
        error: str | None = None,
    ) -> None:
        entry = {
            **self._base,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "action": change.action.value,
            "kind": change.key.kind.value,
            "name": change.key.name,
            "id": object_id or change.id,
            "fields": [f.path for f in change.fields],
            "drift": change.drift,
            "outcome": outcome,
            "error": error,
        }
        if self._local is not None:
            self._append_line(self._local, entry)
            return
        with self._lock:
            records = [*self._records, entry]
            self._revision = self.backend.write(
                self.name,
                {**self._base, "records": records},
                expect_revision=self._revision,
                message=f"flexctl {outcome}: {change.action.value} {change.key}\n\n"
                + json.dumps(entry, sort_keys=True, indent=1),
            )
            self._records = records

    def _append_line(self, path: Path, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock:
            if self._fd is None:  # opened once, kept for the run (one write per record)
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(self._fd, line.encode("utf-8"))

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # type: ignore[arg-type]
