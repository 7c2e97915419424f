"""The embedded control plane: the subset of Airbyte's public API that flexctl uses, served
from SQLite, in-process (``ControlPlane.transport()``) or on a socket (``flexctl controlplane
serve``). See docs/controlplane.md for what it emulates and which quirks it keeps.

    server.py        ControlPlane, open_embedded: lifecycle, in-process transport, serving
    bootstrap.py     AdminCredentials and the first start (organisation, admin, 0600 file)
    app.py           the Starlette app: routes under /v1 and /api/public/v1, problem 404/405
    routes_*.py      one module per API area; status.py the embedded-only status view
    context.py       what handlers share; error rendering
    inputs.py        request parsing and validation (400 / 413 / 422)
    problems.py      problem bodies with Airbyte's types and titles
    security.py      hashed secrets, bearer tokens, roles
    store.py         SQLite schema, connection, transactions
    faults.py        FaultConfig and the fault-injection middleware
"""

from reconciler.controlplane.faults import DroppedConnection, FaultConfig
from reconciler.controlplane.server import (
    EMBEDDED_URL,
    AdminCredentials,
    ControlPlane,
    ControlPlaneError,
    open_embedded,
)
from reconciler.controlplane.status import DataplaneStatus

__all__ = [
    "EMBEDDED_URL",
    "AdminCredentials",
    "ControlPlane",
    "ControlPlaneError",
    "DataplaneStatus",
    "DroppedConnection",
    "FaultConfig",
    "open_embedded",
]
