"""Resources: the comparable form of every object flexctl manages, desired or live.

A resource is a kind, a natural key and an *essence*: the fields flexctl owns, normalised
so that a desired document and a live API object that mean the same thing are equal.
Server-owned fields never enter an essence; each normalisation rule says why in a comment.

Pure: no I/O. Secret values enter an essence only as a digest (``sha256:...``), so
essences can be shown in plans and kept in the inventory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.config.models import fold_name

JSON = Any
Essence = Mapping[str, JSON]


class Kind(StrEnum):
    REGION = "region"
    DATAPLANE = "dataplane"
    WORKSPACE = "workspace"
    PERMISSION = "permission"
    GROUP = "group"
    #: A user in a group: ``<group>/<email>``.
    GROUP_MEMBER = "groupmember"
    #: A group's role: ``workspace:<name>/group:<group>`` or ``organization/group:<group>``.
    GROUP_PERMISSION = "grouppermission"
    #: Only a connection's hashing mappers (``core.hashing``); never created or deleted.
    CONNECTION = "connection"

    @property
    def order(self) -> int:
        """Dependency order: creates run in this order, deletes in reverse."""
        return _KIND_ORDER[self]

    @property
    def document_kind(self) -> str:
        return {
            "region": "Region",
            "dataplane": "DataPlane",
            "workspace": "Workspace",
            "permission": "Permission",
            "group": "Group",
            "groupmember": "Group",
            "grouppermission": "Group",
            "connection": "Connection",
        }[self.value]


class _FoldedOnce:
    """``ResourceKey.folded``, computed on first use and kept in the key's ``__dict__`` (the
    key is frozen; matching and sorting ask for it many times), the name itself kept when
    folding leaves it as it is (one string, not two). ``functools.cached_property`` does the
    same under a lock, several times slower over the 300,000 keys of a big plan."""

    def __get__(self, key: ResourceKey, owner: type | None = None) -> tuple[Kind, str]:
        if key is None:
            return self  # the class's own attribute (never read)
        folded = fold_name(key.name)
        value = (key.kind, key.name if folded == key.name else folded)
        key.__dict__["folded"] = value
        return value


#: Kind -> its place in declaration order (asked for once per key of every sort).
_KIND_ORDER = {kind: index for index, kind in enumerate(Kind)}


@dataclass(frozen=True, order=True)
class ResourceKey:
    """Natural identity: kind + name (data planes: ``region/name``; permissions:
    ``workspace:<name>/<email>`` or ``organization/<email>``)."""

    kind: Kind
    name: str

    #: ``(kind, folded name)``. Names compare case-insensitively: the API folds region names
    #: through dataResidency, and two names differing only in case confuse humans too. One
    #: rule (NFKC + case folding) for matching and for validate's uniqueness check.
    folded = _FoldedOnce()

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name}"

    def sort_key(self) -> tuple[int, str]:
        return (_KIND_ORDER[self.kind], self.folded[1])


@dataclass(frozen=True)
class Resource:
    key: ResourceKey
    essence: Essence
    #: Live id (None for desired resources).
    id: str | None = None
    protect: bool = False
    #: Names a desired object had before (``previousNames``): renamed in place, not re-created.
    previous_names: tuple[str, ...] = ()


def resource(
    key: ResourceKey,
    essence: Essence,
    *,
    id: str | None = None,
    protect: bool = False,
    previous_names: tuple[str, ...] = (),
) -> Resource:
    """``Resource(key, essence, ...)``, its fields set in order as its frozen ``__init__`` sets
    them (``object.__setattr__``; it has no ``__post_init__``), without the ``__init__`` call:
    two thirds of the time, and a plan makes two per workspace (desired and live). Not
    ``__dict__.update``: that gives each instance a dict of its own instead of the class's
    shared-key one (twice the memory per resource)."""
    made = object.__new__(Resource)
    _set(made, "key", key)
    _set(made, "essence", essence)
    _set(made, "id", id)
    _set(made, "protect", protect)
    _set(made, "previous_names", previous_names)
    return made


_set = object.__setattr__


def sensitive_digest(value: str) -> str:
    """Stand-in for a secret inside an essence: equal secrets give equal digests."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_sensitive(value: JSON) -> bool:
    return isinstance(value, str) and value.startswith("sha256:") and len(value) == 71


def region_key(name: str) -> ResourceKey:
    return ResourceKey(Kind.REGION, name)


def dataplane_key(region: str, name: str) -> ResourceKey:
    return ResourceKey(Kind.DATAPLANE, f"{region}/{name}")


def workspace_key(name: str) -> ResourceKey:
    return ResourceKey(Kind.WORKSPACE, name)


def permission_key(*, email: str, workspace: str | None) -> ResourceKey:
    scope = f"workspace:{workspace}" if workspace is not None else "organization"
    return ResourceKey(Kind.PERMISSION, f"{scope}/{email.lower()}")


def group_key(name: str) -> ResourceKey:
    return ResourceKey(Kind.GROUP, name)


def group_member_key(group: str, email: str) -> ResourceKey:
    # E-mails hold no "/", group names may: the e-mail is what follows the last one.
    return ResourceKey(Kind.GROUP_MEMBER, f"{group}/{email.lower()}")


def group_permission_key(group: str, *, workspace: str | None) -> ResourceKey:
    scope = f"workspace:{workspace}" if workspace is not None else "organization"
    return ResourceKey(Kind.GROUP_PERMISSION, f"{scope}/group:{group}")
