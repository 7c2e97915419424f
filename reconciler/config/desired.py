"""The desired state: what the config declares, validated, with where each part came from.

This is the value every later stage (diff, plan, render) consumes. It is built only by
``config.loader`` after all validation passed; it carries no secrets (references only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config.diagnostics import Position
from reconciler.config.models import (
    CredentialSink,
    DataPlane,
    Group,
    Organization,
    Region,
    Storage,
    Workspace,
)

#: Path of keys inside a document, as written in YAML (camelCase keys, list indexes).
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class DocumentSource:
    """Where a document came from: its position and the positions of each key inside it."""

    position: Position
    keys: Mapping[KeyPath, Position] = field(default_factory=dict)
    #: Positions of the values (a scalar's own line:col), where known.
    values: Mapping[KeyPath, Position] = field(default_factory=dict)

    def at(self, *path: str | int) -> Position:
        """Position of the deepest known key on ``path`` (falls back to the document)."""
        for depth in range(len(path), 0, -1):
            found = self.keys.get(tuple(path[:depth]))
            if found is not None:
                return found
        return self.position

    def value_at(self, *path: str | int) -> Position:
        """Position of the value at ``path``, else as ``at``."""
        return self.values.get(tuple(path)) or self.at(*path)


@dataclass(frozen=True)
class DesiredState:
    organization: Organization
    regions: tuple[Region, ...]
    dataplanes: tuple[DataPlane, ...]
    workspaces: tuple[Workspace, ...]
    #: (kind, name) -> source; data planes are keyed (kind, "region/name").
    sources: Mapping[tuple[str, str], DocumentSource]
    #: sha256 over the canonical JSON of every document: ties a saved plan to its config.
    digest: str
    groups: tuple[Group, ...] = ()

    def source(self, kind: str, name: str) -> DocumentSource:
        return self.sources[(kind, name)]

    def region(self, name: str) -> Region | None:
        for region in self.regions:
            if region.name.lower() == name.lower():
                return region
        return None

    def storage_for(self, dataplane: DataPlane) -> Storage | None:
        return dataplane.storage or self.organization.default_storage

    def credentials_for(self, dataplane: DataPlane) -> CredentialSink:
        """The data plane's sink: its own, else the Organization's default, else ``file``
        (``credentials: {adopt: existing}`` alone names no sink of its own)."""
        return dataplane.own_sink or self.organization.credentials or CredentialSink()


def dataplane_key(dataplane: DataPlane) -> str:
    """Natural key of a data plane: names are unique only within their region."""
    return f"{dataplane.region}/{dataplane.name}"
