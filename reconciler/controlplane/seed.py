"""Objects users make in the Airbyte UI, made directly in the store: a connection with its
source and destination (``flexctl controlplane add-connection``, the demo's stand-in for a UI
user). Stream configurations go through the same checks and id assignment as the API's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from reconciler.controlplane import problems, streams
from reconciler.controlplane.store import Store
from reconciler.errors import FlexctlError


class SeedError(FlexctlError):
    """The object cannot be made (unknown workspace, invalid streams)."""


def add_connection(
    store: Store, now_us: int, *, workspace: str, name: str, configured: list[dict[str, Any]]
) -> str:
    """A connection (and a source and destination for it) in the named workspace; its id."""
    try:
        parsed = streams.parse_streams({"streams": configured}) or []
    except problems.ApiProblem as exc:
        raise SeedError(f"connection {name!r}: invalid streams: {exc.detail} {exc.data}") from exc
    with store.write() as db:
        row = db.execute(
            "SELECT id FROM workspaces WHERE name = ? AND tombstone = 0 ORDER BY created_us",
            (workspace,),
        ).fetchone()
        if row is None:
            raise SeedError(f"no workspace {workspace!r}; apply the config first")
        ids = {kind: str(uuid.uuid4()) for kind in ("sources", "destinations", "connections")}
        for kind, connector in (("sources", "postgres"), ("destinations", "s3")):
            db.execute(
                f"INSERT INTO {kind} (id, workspace_id, name, connector_type, definition_id,"  # noqa: S608
                " configuration, created_us) VALUES (?, ?, ?, ?, ?, '{}', ?)",
                (ids[kind], row["id"], f"{name}-{connector}", connector, str(uuid.uuid4()), now_us),
            )
        db.execute(
            "INSERT INTO connections (id, workspace_id, source_id, destination_id, name,"
            " settings, configurations, created_us) VALUES (?, ?, ?, ?, ?, '{}', ?, ?)",
            (
                ids["connections"],
                row["id"],
                ids["sources"],
                ids["destinations"],
                name,
                json.dumps(streams.merge([], parsed)),
                now_us,
            ),
        )
    return ids["connections"]
