"""The state backend interface: versioned JSON documents with compare-and-swap, and a lease.

    StateBackend                 one per URL form (local.py, s3.py, gitref.py)
      read(name)                 -> (document | None, revision | None)
      write(name, doc, expect_revision=...)   compare-and-swap; ConflictError when it moved
      delete(name, expect_revision=...)
      names(prefix)              documents under a prefix ("audit/")
      acquire / renew / release / unlock(id)  the apply lease (lease.py), built on write
      describe()                 one line for plan and apply headers

A backend module implements only the four byte-level primitives (``_get``, ``_put``,
``_delete``, ``_list``); JSON, ``formatVersion`` checks and error wording live here so every
backend reports a bad document the same way (URL and object named). Documents never hold a
secret: callers store ids, essences (digests only) and bookkeeping.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.errors import StateError
from reconciler.state.url import StateUrl

if TYPE_CHECKING:
    from reconciler.state.lease import Lease, LeaseOwner

#: The ``formatVersion`` this flexctl writes and the newest it reads.
FORMAT_VERSION = 1

Document = dict[str, Any]


class ConflictError(StateError):
    """A compare-and-swap write lost: the document changed since it was read."""


class StateBackend(ABC):
    #: The formatVersion assumed for a document without one (local files written before
    #: documents were versioned); None: such a document is an error.
    unversioned: int | None = None

    def __init__(self, url: StateUrl, *, clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.clock = clock

    # ---------------------------------------------------------------- primitives (per backend)

    @abstractmethod
    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's bytes and revision, or (None, None) when it does not exist."""

    @abstractmethod
    def _put(self, key: str, data: bytes, *, expect: str | None, message: str) -> str:
        """Store ``data`` if the object's revision is still ``expect`` (None: must not exist);
        return the new revision; raise ConflictError otherwise."""

    @abstractmethod
    def _delete(self, key: str, *, expect: str, message: str) -> None:
        """Remove the object if its revision is still ``expect``; ConflictError otherwise."""

    @abstractmethod
    def _list(self, prefix: str) -> list[str]:
        """Keys (relative to the backend's root) starting with ``prefix``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or scratch space."""

    # ---------------------------------------------------------------- documents (shared)

    @property
    def shared(self) -> bool:
        return self.url.shared

    def describe(self) -> str:
        kind = "shared" if self.shared else "this machine only"
        return f"{self.url} ({kind})"

    def where(self, name: str) -> str:
        """How errors name one object: the URL and the object's key."""
        return f"{self.url}: {_key(name)}"

    def read(self, name: str) -> tuple[Document | None, str | None]:
        data, revision = self._get(_key(name))
        if data is None:
            return None, None
        try:
            # json, not reconciler.fastjson: on the 58 MB inventory of 100,000 workspaces its
            # copies of the bytes (translated, wrapped) peaked 154 MB higher, and it was no
            # faster (1.06 s against 0.99 s with the collector off).
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise StateError(
                f"{self.where(name)}: not valid JSON ({e}); restore it from a "
                "backup or `flexctl state migrate` it again"
            ) from e
        if not isinstance(document, dict):
            raise StateError(f"{self.where(name)}: expected a JSON object")
        version = document.get("formatVersion", self.unversioned)
        if not isinstance(version, int) or isinstance(version, bool):
            raise StateError(
                f"{self.where(name)}: no integer formatVersion; not a flexctl state document"
            )
        if version > FORMAT_VERSION:
            raise StateError(
                f"{self.where(name)}: formatVersion {version} is newer than this flexctl "
                f"reads ({FORMAT_VERSION}); upgrade flexctl"
            )
        return document, revision

    def write(
        self, name: str, document: Document, *, expect_revision: str | None, message: str = ""
    ) -> str:
        body = {**document, "formatVersion": FORMAT_VERSION}
        data = (json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")
        return self._put(
            _key(name), data, expect=expect_revision, message=message or f"flexctl: write {name}"
        )

    def delete(self, name: str, *, expect_revision: str, message: str = "") -> None:
        self._delete(
            _key(name), expect=expect_revision, message=message or f"flexctl: delete {name}"
        )

    def names(self, prefix: str) -> list[str]:
        return sorted(k.removesuffix(".json") for k in self._list(prefix) if k.endswith(".json"))

    def update(
        self,
        name: str,
        change: Callable[[Document | None], Document],
        *,
        message: str = "",
        attempts: int = 5,
    ) -> str:
        """Read, change, compare-and-swap; retried when another writer got in between."""
        for _ in range(attempts - 1):
            document, revision = self.read(name)
            try:
                return self.write(name, change(document), expect_revision=revision, message=message)
            except ConflictError:
                continue
        document, revision = self.read(name)
        return self.write(name, change(document), expect_revision=revision, message=message)

    # ---------------------------------------------------------------- the lease (lease.py)

    def holder_dead(self, lease: Document) -> bool:
        """Whether a lease's holder is known to be gone before its expiry (local only)."""
        return False

    def acquire(self, owner: LeaseOwner, *, ttl: float, wait: float = 0.0) -> Lease:
        from reconciler.state.lease import acquire

        return acquire(self, owner, ttl=ttl, wait=wait)

    def renew(self, lease: Lease, *, ttl: float) -> Lease:
        from reconciler.state.lease import renew

        return renew(self, lease, ttl=ttl)

    def release(self, lease: Lease) -> None:
        from reconciler.state.lease import release

        release(self, lease)

    def unlock(self, lease_id: str) -> Document:
        from reconciler.state.lease import unlock

        return unlock(self, lease_id)


def _key(name: str) -> str:
    return f"{name}.json"
