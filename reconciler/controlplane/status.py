"""The data-plane status view: when each data plane last fetched a token and sent a heartbeat.

Embedded-only (the real control plane shows this in its UI): ``GET /_embedded/dataplanes/status``
for organisation admins, and ``ControlPlane.dataplane_status()`` for ``flexctl controlplane
status``. A health check after apply reads it to see whether a deployed data plane came up.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.store import java_timestamp


@dataclass(frozen=True)
class DataplaneStatus:
    dataplane_id: str
    name: str
    region_id: str
    region_name: str
    organization_id: str
    enabled: bool
    last_token_at: str | None  # Java-style ISO-8601 UTC, None = never
    last_heartbeat_at: str | None


def dataplane_status(db: sqlite3.Connection, organization_id: str | None) -> list[DataplaneStatus]:
    rows = db.execute(
        "SELECT d.*, r.name AS region_name, r.organization_id FROM dataplanes d"
        " JOIN regions r ON r.id = d.region_id WHERE d.tombstone = 0"
        " AND (? IS NULL OR r.organization_id = ?) ORDER BY r.name, d.name, d.id",
        (organization_id, organization_id),
    ).fetchall()
    return [
        DataplaneStatus(
            dataplane_id=r["id"],
            name=r["name"],
            region_id=r["region_id"],
            region_name=r["region_name"],
            organization_id=r["organization_id"],
            enabled=bool(r["enabled"]),
            last_token_at=_when(r["last_token_us"]),
            last_heartbeat_at=_when(r["last_heartbeat_us"]),
        )
        for r in rows
    ]


def _when(us: int | None) -> str | None:
    return None if us is None else java_timestamp(us)


def _camel(status: DataplaneStatus) -> dict[str, object]:
    return {
        "".join(w if i == 0 else w.capitalize() for i, w in enumerate(k.split("_"))): v
        for k, v in asdict(status).items()
    }


@endpoint
async def status_view(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    org_id = inputs.query_uuid(request, "organizationId")
    with c.store.read() as db:
        if org_id is not None:
            security.require_org(db, user_id, org_id, security.ADMIN)
            statuses = dataplane_status(db, org_id)
        else:
            admin_somewhere = db.execute(
                "SELECT 1 FROM permissions WHERE user_id = ? AND permission_type IN"
                " ('organization_admin', 'instance_admin')",
                (user_id,),
            ).fetchone()
            if admin_somewhere is None:
                raise problems.forbidden("the status view needs organization_admin")
            statuses = [
                s
                for s in dataplane_status(db, None)
                if security.org_rank(db, user_id, s.organization_id) >= security.ADMIN
            ]
    return ok({"data": [_camel(s) for s in statuses]})


ROUTES = [Route("/_embedded/dataplanes/status", status_view, methods=["GET"])]
