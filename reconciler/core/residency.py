"""The residency audit of connections (read-only): what the seeds' stated limit means as a check.

"Airbyte stores Cursor and Primary Key data in the control plane regardless of data plane
location." So, for every connection of a workspace whose classification requires a
self-managed region (``residency.selfManagedRequiredFor``), a finding is reported when
- a stream's ``cursorField`` or a ``primaryKey`` path starts with a PII field (its values would
  be stored in the control plane), or
- a PII field reaches the destination unhashed: no hashing, encryption or field-filtering
  mapper on it, and not left out by ``selectedFields``.
Connections are judged as they will be after the plan's hashing changes, so the apply that adds
the missing mappers is not refused for what it fixes. Findings are warnings, or errors with
``residency.enforce: true``. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.config.models import Organization, Workspace
from reconciler.core.hashing import (
    PROTECTING,
    patched_streams,
    pii_fields,
    stream_id,
    streams_of,
)
from reconciler.core.plan import Change
from reconciler.core.resources import JSON

Payload = Mapping[str, Any]

_WHY = {
    "cursorField": "PII field is the cursor: its values are stored in the control plane",
    "primaryKey": "PII field is in the primary key: its values are stored in the control plane",
    "unhashed": "PII field reaches the destination unhashed",
}


@dataclass(frozen=True, order=True)
class Finding:
    workspace: str
    connection: str
    stream: str
    field: str
    problem: str  # cursorField | primaryKey | unhashed
    connection_id: str = ""

    def message(self) -> str:
        return (
            f"residency: workspace {self.workspace}, connection {self.connection} "
            f"({self.connection_id}), stream {self.stream}, field {self.field}: "
            f"{_WHY[self.problem]}"
        )

    def as_json(self, *, severity: str) -> dict[str, JSON]:
        return {
            "workspace": self.workspace,
            "connection": self.connection,
            "connectionId": self.connection_id,
            "stream": self.stream,
            "field": self.field,
            "problem": self.problem,
            "severity": severity,
            "message": self.message(),
        }


def audited(organization: Organization, workspaces: Sequence[Workspace]) -> list[Workspace]:
    """The workspaces whose classification requires a self-managed region."""
    required = set(organization.residency.self_managed_required_for)
    return [ws for ws in workspaces if ws.classification in required]


def audit(
    workspaces: Sequence[Workspace],
    connections: Iterable[Payload],
    workspace_names: Mapping[str, str],
    planned: Sequence[Change] = (),
) -> tuple[Finding, ...]:
    """``workspaces``: the audited ones (``audited``); ``planned``: the plan's hashing changes."""
    declared = {ws.name.casefold(): ws for ws in workspaces}
    by_id = {c.id: c for c in planned}
    out: list[Finding] = []
    for conn in connections:
        ws_name = workspace_names.get(str(conn.get("workspaceId")))
        ws = declared.get(ws_name.casefold()) if ws_name else None
        if ws is None or not ws.pii:
            continue
        change = by_id.get(str(conn["connectionId"]))
        streams = patched_streams(conn, change) if change is not None else streams_of(conn)
        for stream in streams:
            out += _stream_findings(ws, conn, stream)
    return tuple(sorted(out))


def _stream_findings(ws: Workspace, conn: Payload, stream: Payload) -> list[Finding]:
    pii = pii_fields(ws, stream)
    if not pii:
        return []

    def finding(field: str, problem: str) -> Finding:
        return Finding(
            workspace=ws.name,
            connection=str(conn.get("name", "")),
            stream=stream_id(stream),
            field=field,
            problem=problem,
            connection_id=str(conn["connectionId"]),
        )

    out: list[Finding] = []
    cursor = stream.get("cursorField") or []
    if cursor and cursor[0] in pii:
        out.append(finding(str(cursor[0]), "cursorField"))
    out += [
        finding(str(path[0]), "primaryKey")
        for path in stream.get("primaryKey") or []
        if path and path[0] in pii
    ]
    protected = {
        str((m.get("mapperConfiguration") or {}).get("targetField"))
        for m in stream.get("mappers") or []
        if m.get("type") in PROTECTING
    }
    selected = {
        str(item["fieldPath"][0])
        for item in stream.get("selectedFields") or []
        if isinstance(item, dict) and item.get("fieldPath")
    }
    out += [
        finding(field, "unhashed")
        for field in sorted(pii)
        if field not in protected and (not selected or field in selected)
    ]
    return out
