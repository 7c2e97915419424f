"""The reconcile loop's status file: ``<state>/reconcile/status.json``.

Holds the last outcome and the last N outcomes (oldest first), rewritten atomically after every
cycle so a reader (an operator, a liveness probe, the next ``--once`` run) never sees half a file.
History survives restarts: a CronJob runs one cycle per process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.errors import StateError
from reconciler.gitops.outcome import CycleOutcome
from reconciler.statedir import read_json_object, write_private

DEFAULT_HISTORY = 20


class StatusStore:
    def __init__(self, path: Path, *, history: int = DEFAULT_HISTORY) -> None:
        if history < 1:
            raise ValueError("history must keep at least one outcome")
        self.path = path
        self.history = history

    def outcomes(self) -> list[CycleOutcome]:
        """The recorded outcomes, oldest first; an unreadable file is an error, not an empty
        history (that would hide a broken status)."""
        return self._outcomes(self._read())

    def last(self) -> CycleOutcome | None:
        found = self.outcomes()
        return found[-1] if found else None

    def record(self, outcome: CycleOutcome) -> None:
        previous = self._read()
        history = [*self._outcomes(previous), outcome][-self.history :]
        last_success = (previous or {}).get("lastSuccessAt")
        if outcome.result != "failed":
            last_success = outcome.finished_at.isoformat()
        body: dict[str, Any] = {
            "last": outcome.as_json(),
            "lastSuccessAt": last_success,
            "history": [o.as_json() for o in history],
        }
        write_private(self.path, json.dumps(body, indent=2, sort_keys=True) + "\n")

    def _outcomes(self, data: dict[str, Any] | None) -> list[CycleOutcome]:
        if data is None:
            return []
        try:
            return [CycleOutcome.from_json(item) for item in data.get("history", [])]
        except (KeyError, TypeError, ValueError) as e:
            raise StateError(f"{self.path}: unreadable reconcile history: {e}") from e

    def _read(self) -> dict[str, Any] | None:
        return read_json_object(self.path, what="the reconcile status")
