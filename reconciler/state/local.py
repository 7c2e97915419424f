"""The local backend: documents as 0600 files in a state directory (today's layout).

``inventory.json``, ``journal.json``, ``lock.json``, ``audit/<run>.json``,
``reconcile/status.json``, ``git/lastgood.json``. Compare-and-swap is a read-compare-rename
under a ``filelock`` (flock, released by the kernel when its process dies); the revision is a
digest of the file's bytes. A lease whose holder ran on this host and whose process is gone is
dead at once: a crashed apply does not block the next one for a whole lease.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import StateError
from reconciler.state.base import ConflictError, Document, StateBackend
from reconciler.state.url import StateUrl
from reconciler.statedir import StateDir, write_private

if TYPE_CHECKING:
    from filelock import FileLock


class LocalBackend(StateBackend):
    unversioned = 1  # state directories written by flexctl before formatVersion existed

    def __init__(
        self, root: Path, *, url: StateUrl | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__(
            url or StateUrl("local", "", origin="default"), **({"clock": clock} if clock else {})
        )
        self.root = root
        self._guard_lock: FileLock | None = None
        self._guard_made = threading.Lock()

    @property
    def _guard(self) -> FileLock:
        """The compare-and-swap lock, made on first write: a plan only reads, and importing
        filelock was a tenth of the plan command's start-up (issue 18 item 5)."""
        if self._guard_lock is None:
            with self._guard_made:
                if self._guard_lock is None:
                    from filelock import FileLock

                    self._guard_lock = FileLock(str(self.root / ".state.lock"), timeout=30)
        return self._guard_lock

    def describe(self) -> str:
        return f"local {self.root} (this machine only)"

    def where(self, name: str) -> str:
        return str(self.root / f"{name}.json")

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            data = (self.root / key).read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as e:
            raise StateError(f"{self.root / key}: cannot read: {e.strerror}") from e
        return data, _revision(data)

    def _put(self, key: str, data: bytes, *, expect: str | None, message: str) -> str:
        StateDir(self.root).ensure()
        with self._guard:
            _, current = self._get(key)
            if current != expect:
                raise ConflictError(f"{self.root / key}: changed since it was read")
            write_private(self.root / key, data.decode("utf-8"))
        return _revision(data)

    def _delete(self, key: str, *, expect: str, message: str) -> None:
        if not self.root.exists():
            raise ConflictError(f"{self.root / key}: does not exist")
        with self._guard:
            _, current = self._get(key)
            if current != expect:
                raise ConflictError(f"{self.root / key}: changed since it was read")
            (self.root / key).unlink()

    def _list(self, prefix: str) -> list[str]:
        base = self.root / prefix if prefix.endswith("/") else self.root
        if not base.is_dir():
            return []
        found = [p.relative_to(self.root).as_posix() for p in base.rglob("*.json")]
        return [k for k in found if k.startswith(prefix) and "/." not in f"/{k}"]

    def holder_dead(self, lease: Document) -> bool:
        if lease.get("host") != socket.gethostname():
            return False
        pid = lease.get("pid")
        if not isinstance(pid, int):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def _revision(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]
