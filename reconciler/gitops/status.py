"""The reconcile loop's status: the state backend's ``reconcile/status`` document
(``<state>/reconcile/status.json`` with the local backend).

Versioned (``statusVersion``). Holds the last outcome and the last N outcomes (oldest first),
rewritten atomically after every cycle so a reader (an operator, a liveness probe, the next
``--once`` run) never sees half a file.
History survives restarts: a CronJob runs one cycle per process.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.errors import StateError
from reconciler.gitops.outcome import CycleOutcome
from reconciler.state import DocumentHandle, StateBackend

DEFAULT_HISTORY = 20
#: The content's version, beside the state backend's envelope ``formatVersion`` (which every
#: state document shares). 2: outcomes carry ``objects`` (drifted/pending/blocked/failed) and
#: ``fetchFailed``, and a fetch failure no longer advances ``lastSuccessAt``. Documents without
#: it (version 1) are read as well.
STATUS_FORMAT_VERSION = 2


class StatusStore(DocumentHandle):
    def __init__(
        self,
        target: StateBackend | Path,
        *,
        history: int = DEFAULT_HISTORY,
        name: str = "reconcile/status",
    ) -> None:
        if history < 1:
            raise ValueError("history must keep at least one outcome")
        super().__init__(target, name)
        self.history = history

    def outcomes(self) -> list[CycleOutcome]:
        """The recorded outcomes, oldest first; an unreadable file is an error, not an empty
        history (that would hide a broken status)."""
        return self._outcomes(self._read())

    def last(self) -> CycleOutcome | None:
        found = self.outcomes()
        return found[-1] if found else None

    def last_success(self) -> datetime | None:
        """When the last cycle that did not fail finished: what a new process (a CronJob's
        next pod) starts the last-success metric from."""
        value = (self._read() or {}).get("lastSuccessAt")
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError as e:
            raise StateError(f"{self.backend.where(self.name)}: bad lastSuccessAt: {e}") from e

    def record(self, outcome: CycleOutcome) -> None:
        previous, revision = self.backend.read(self.name)
        history = [*self._outcomes(previous), outcome][-self.history :]
        last_success = (previous or {}).get("lastSuccessAt")
        if outcome.result != "failed":  # a fetch failure is "failed" too (loop.run_cycle)
            last_success = outcome.finished_at.isoformat()
        body: dict[str, Any] = {
            "statusVersion": STATUS_FORMAT_VERSION,
            "last": outcome.as_json(),
            "lastSuccessAt": last_success,
            "history": [o.as_json() for o in history],
        }
        self.backend.write(
            self.name,
            body,
            expect_revision=revision,
            message=f"flexctl reconcile: {outcome.result}",
        )

    def _outcomes(self, data: dict[str, Any] | None) -> list[CycleOutcome]:
        if data is None:
            return []
        try:
            return [CycleOutcome.from_json(item) for item in data.get("history", [])]
        except (KeyError, TypeError, ValueError) as e:
            raise StateError(
                f"{self.backend.where(self.name)}: unreadable reconcile history: {e}"
            ) from e

    def _read(self) -> dict[str, Any] | None:
        return self.backend.read(self.name)[0]
