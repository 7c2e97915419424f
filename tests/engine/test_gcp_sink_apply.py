"""apply with the gcp-secret-manager sink on the embedded control plane and the local Secret
Manager emulation: the credentials land in the templated secret, the rendered ExternalSecret
reads exactly there and they work against the control plane; a refused write rolls the
data plane back, naming the sink and the path, with no value in any output."""

from __future__ import annotations

import asyncio
import json
import uuid

from tests.servers.gcpsm import ACCESSOR, ADMIN, GcpSecretManager

from .harness import World, edit
from .test_managed_sink_apply import DP_FILE, _live_dataplanes, rendered_reads_the_sink

SECRET_ID = "airbyte_aws-us-east-1_us-east-1-primary"


def _use_gcp(world: World, gcpsm: GcpSecretManager, project: str, role: str) -> None:
    world.env["GCP_KEY"] = json.dumps(gcpsm.service_account(project, role))
    edit(
        world.config / DP_FILE,
        "credentials:\n  type: file\n",
        "credentials:\n  type: gcp-secret-manager\n  gcpSecretManager:\n"
        f"    project: {project}\n    endpoint: {gcpsm.url}\n"
        "    credentials: {env: GCP_KEY}\n",
    )


def _everything_written(world: World) -> str:
    return "".join(p.read_text(errors="replace") for p in world.root.rglob("*") if p.is_file())


def test_gcp_sink_end_to_end(world: World, gcpsm: GcpSecretManager) -> None:
    project = f"e2e-{uuid.uuid4().hex[:8]}"
    _use_gcp(world, gcpsm, project, ADMIN)
    result = asyncio.run(world.converge())
    created = [
        o
        for o in result.outcomes
        if str(o.change.key) == "dataplane aws-us-east-1/us-east-1-primary"
    ]
    assert len(created) == 1 and created[0].ok
    data = json.loads(gcpsm.secrets[(project, SECRET_ID)].versions[-1])
    assert data["DATAPLANE_ID"] == created[0].object_id
    assert data["DATAPLANE_CLIENT_SECRET"] not in _everything_written(world)

    rendered_reads_the_sink(
        world,
        data,
        key=SECRET_ID,
        store={"name": "flexctl-gcp-secret-manager", "kind": "ClusterSecretStore"},
        note=f"using the `gcpsm` provider with `projectID: {project}`",
    )


def test_refused_write_rolls_the_dataplane_back(world: World, gcpsm: GcpSecretManager) -> None:
    project = f"ro-{uuid.uuid4().hex[:8]}"
    _use_gcp(world, gcpsm, project, ACCESSOR)
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    assert failed["dataplane aws-us-east-1/us-east-1-primary"] == (
        f"DataPlane aws-us-east-1/us-east-1-primary: gcp-secret-manager at {gcpsm.url} "
        f"projects/{project}/secrets/{SECRET_ID}: cannot write: permission denied"
    )
    assert "us-east-1-primary" not in asyncio.run(_live_dataplanes(world))
    assert (project, SECRET_ID) not in gcpsm.secrets
    assert "PRIVATE KEY" not in str(failed) + _everything_written(world)
