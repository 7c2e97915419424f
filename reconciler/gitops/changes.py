"""Which documents a pull request changed, and which live drift it does not explain.

Pure: two ``DesiredState`` values in, sorted values out (no Git, no API). Documents are compared
by their canonical ``model_dump`` so an edit to comments, key order or layout is not a change,
and a document moved to another file is not a change either (identity is kind + name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from reconciler.config.desired import DesiredState, dataplane_key

#: The order changes are listed in: dependencies first, as everywhere else in flexctl.
KIND_ORDER = ("Organization", "Region", "DataPlane", "Workspace")

Status = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class DocumentChange:
    kind: str
    #: Data planes are named ``region/name``: names are unique only within a region.
    name: str
    status: Status
    #: Where the document is: the head's display path, or the base's for a removed one.
    path: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "status": self.status, "path": self.path}


def sort_key(kind: str, name: str) -> tuple[int, str, str]:
    index = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return (index, kind, name)


def _documents(state: DesiredState) -> dict[tuple[str, str], dict[str, Any]]:
    models: list[tuple[str, str, BaseModel]] = [
        ("Organization", state.organization.name, state.organization)
    ]
    models += [("Region", r.name, r) for r in state.regions]
    models += [("DataPlane", dataplane_key(d), d) for d in state.dataplanes]
    models += [("Workspace", w.name, w) for w in state.workspaces]
    models += [("Group", g.name, g) for g in state.groups]
    return {(kind, name): model.model_dump(mode="json") for kind, name, model in models}


def _path(state: DesiredState, key: tuple[str, str]) -> str:
    source = state.sources.get(key)
    return source.position.path if source is not None else ""


def changed_documents(base: DesiredState | None, head: DesiredState) -> list[DocumentChange]:
    """Per document: added in ``head``, removed from ``base``, or changed in content.

    ``base`` is ``None`` when the base commit holds no config yet: every document is added.
    """
    before, after = _documents(base) if base is not None else {}, _documents(head)
    changes: list[DocumentChange] = []
    for key in before.keys() | after.keys():
        if key not in before:
            status: Status = "added"
        elif key not in after:
            status = "removed"
        elif before[key] != after[key]:
            status = "changed"
        else:
            continue
        path = _path(base, key) if base is not None and status == "removed" else _path(head, key)
        changes.append(DocumentChange(kind=key[0], name=key[1], status=status, path=path))
    return sorted(changes, key=lambda c: sort_key(c.kind, c.name))


def unexplained_drift(
    changed: Iterable[DocumentChange], drifted: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Live drift on objects whose documents the pull request did not touch: merging would
    overwrite a change someone made outside Git, and the reviewer should know."""
    touched = {(c.kind, c.name) for c in changed}
    return sorted({d for d in drifted if d not in touched}, key=lambda d: sort_key(*d))


def summarize(changes: Iterable[DocumentChange]) -> Mapping[Status, int]:
    counts: dict[Status, int] = {"added": 0, "changed": 0, "removed": 0}
    for change in changes:
        counts[change.status] += 1
    return counts
