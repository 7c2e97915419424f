"""Audit log: one JSON line per applied change, in ``<state>/audit.jsonl``.

Each record: time (UTC), run id, actor, config digest, source (repo, commit, author),
the change (action, kind, name, id, changed field paths) and its outcome. Field *values*
are not recorded (they may be digests of secrets, and the plan JSON has them anyway);
error messages come from FlexctlError, which never carries secrets.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from reconciler.core.plan import Change


def current_actor(env: Mapping[str, str]) -> str:
    """Who is applying: the CI actor when there is one, else the local user."""
    for name in ("FLEXCTL_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR"):
        if env.get(name):
            return env[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class AuditLog:
    def __init__(
        self, path: Path, *, actor: str, config_digest: str, source: Mapping[str, str]
    ) -> None:
        self.path = path
        self.run_id = uuid.uuid4().hex
        self._base = {
            "runId": self.run_id,
            "actor": actor,
            "configDigest": config_digest,
            "source": dict(source),
        }
        self._lock = threading.Lock()

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
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
