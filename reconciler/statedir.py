"""The state directory (default ``.flexctl/``): one place for everything flexctl keeps locally.

Layout (each owner writes only its own entry):

    .gitignore              "*": nothing here can be committed by accident
    controlplane/           the embedded control plane: SQLite db, admin credentials (0600)
    credentials/            file sink: one 0600 Secret manifest per data plane
    inventory.json          ids of the objects flexctl created or adopted, protect flags
    journal.jsonl           creates in flight (written before the request is sent)
    audit.jsonl             one record per apply change, never a secret
    apply.lock              one apply at a time
    reconcile/              status of the scheduled reconcile loop
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import StateError

if TYPE_CHECKING:
    from reconciler.state.base import StateBackend

#: Folders flexctl writes at the top of the state directory (the layout above, plus the Git
#: caches and the default render output).
OWN_FOLDERS = frozenset({"controlplane", "credentials", "reconcile", "git", "cache", "rendered"})
#: Suffixes of flexctl's own top-level files (inventory, journal, audit, locks, leases).
OWN_SUFFIXES = (".json", ".jsonl", ".lock", ".db")


def user_path_problem(relative: str) -> str | None:
    """Why ``relative`` (a path a user chose inside the state directory, such as an env-file
    sink's) could overwrite a file flexctl keeps there, or None."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts:
        return "the path names the state directory itself"
    top = parts[0].lower()
    if top.startswith("."):
        return f"{parts[0]!r} is hidden; flexctl keeps its own hidden files there"
    if top in OWN_FOLDERS:
        return f"{parts[0]}/ is flexctl's own folder in the state directory"
    if len(parts) == 1 and top.endswith(OWN_SUFFIXES):
        return (
            f"{parts[0]!r} could be one of flexctl's own files in the state directory "
            f"({', '.join('*' + s for s in OWN_SUFFIXES)}); use a sub-folder or another suffix"
        )
    return None


@dataclass(frozen=True)
class StateDir:
    root: Path
    #: Where inventory, journal, lock, audit and status live (``reconciler.state``); None:
    #: this directory (the local backend). The directory stays the working/cache directory.
    backend: StateBackend | None = field(default=None, compare=False, repr=False)

    def ensure(self) -> StateDir:
        """Create the directory (0700) with its ``.gitignore``; idempotent."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# flexctl state: secrets and local bookkeeping, never commit\n*\n")
        return self

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def subdir(self, name: str) -> Path:
        self.ensure()
        sub = self.root / name
        sub.mkdir(exist_ok=True, mode=0o700)
        return sub


def write_private(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_json_object(path: Path, *, what: str) -> dict[str, Any] | None:
    """A JSON object kept in the state directory; None when the file does not exist yet.

    Unreadable or malformed files are a StateError naming the file (and line:col), ``what``
    says what the file holds ("the reconcile status").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StateError(f"{path}: cannot read {what}: {e.strerror}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise StateError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from e
    if not isinstance(data, dict):
        raise StateError(f"{path}: expected a JSON object")
    return data
