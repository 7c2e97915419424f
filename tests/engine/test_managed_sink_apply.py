"""apply with the vault sink on the embedded control plane and a real OpenBao server: the
credentials land at the sink's path, the rendered ExternalSecret reads exactly there, they
work against the control plane; a refused write rolls the data plane back, naming the sink
and the path, with no value in any message."""

from __future__ import annotations

import asyncio
import uuid

import hvac
from ruamel.yaml import YAML

from reconciler.engine.session import sinks_for
from reconciler.render.render import render_dataplane
from reconciler.sinks.managed import ManagedSink
from tests.servers.conftest_plugin import OpenBao
from tests.servers.procs import free_port
from tests.servers.vaultadmin import READ_ONLY, token_with_policy

from .harness import ORG_ID, World, edit

DP_FILE = "dataplanes/aws-us-east-1.yaml"


def _use_vault(world: World, address: str, base: str) -> None:
    edit(
        world.config / DP_FILE,
        "credentials:\n  type: file\n",
        "credentials:\n  type: vault\n  vault:\n"
        f"    address: {address}\n    path: {base}/{{region}}/{{dataplane}}\n"
        "    auth: {method: token, token: {env: BAO_TOKEN}}\n"
        "  store: {name: openbao, kind: ClusterSecretStore}\n",
    )


async def _live_dataplanes(world: World) -> list[str]:
    async with world.api() as client:
        regions = [
            r["regionId"] for r in await client.list_regions(ORG_ID) if r["name"].startswith("aws-")
        ]
        return sorted(d["name"] for d in await client.list_dataplanes(regions))


def test_vault_sink_end_to_end(world: World, openbao: OpenBao) -> None:
    base = f"e2e-{uuid.uuid4().hex[:8]}"
    _use_vault(world, openbao.url, base)
    world.env["BAO_TOKEN"] = openbao.root_token
    result = asyncio.run(world.converge())
    created = [
        o
        for o in result.outcomes
        if str(o.change.key) == "dataplane aws-us-east-1/us-east-1-primary"
    ]
    assert len(created) == 1 and created[0].ok
    path = f"{base}/aws-us-east-1/us-east-1-primary"
    raw = hvac.Client(url=openbao.url, token=openbao.root_token).secrets.kv.v2
    stored = raw.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    data = stored["data"]["data"]
    assert data["DATAPLANE_ID"] == created[0].object_id
    # nothing local holds the secret
    assert not list(world.state.root.glob("credentials/aws-us-east-1*"))

    rendered_reads_the_sink(
        world,
        data,
        key=path,
        store={"name": "openbao", "kind": "ClusterSecretStore"},
        note=f"using the `vault` provider with `server: {openbao.url}`, `path: secret`",
    )


def rendered_reads_the_sink(
    world: World, data: dict[str, str], *, key: str, store: dict[str, str], note: str
) -> None:
    """The rendered ExternalSecret pulls exactly what the sink wrote (``data``) at ``key``
    through ``store``, the README names the store's provider (``note``), nothing rendered
    holds the secret, and the credentials work against the control plane."""
    desired = world.desired()
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "us-east-1-primary")
    files, problems = render_dataplane(desired, dataplane)
    assert problems == []
    es = YAML(typ="safe", pure=True).load(files["externalsecret.yaml"])
    assert es["spec"]["secretStoreRef"] == store
    refs = {d["secretKey"]: d["remoteRef"] for d in es["spec"]["data"]}
    # every pulled key is a property the sink wrote, at the path it wrote
    assert set(refs) == set(data) - {"DATAPLANE_ID"}
    assert {r["key"] for r in refs.values()} == {key}
    assert all(r["property"] == k for k, r in refs.items())
    assert note in files["README.md"]
    assert data["DATAPLANE_CLIENT_SECRET"] not in "".join(files.values())

    assert accepted(world, data)


def accepted(world: World, data: dict[str, str]) -> bool:
    """The control plane gives a token for the client id / secret the sink holds."""

    async def token_ok() -> bool:
        async with world.connection() as conn:
            return await conn.client.dataplane_token(
                conn.dataplane_token_url,
                client_id=data["DATAPLANE_CLIENT_ID"],
                client_secret=data["DATAPLANE_CLIENT_SECRET"],
            )

    return asyncio.run(token_ok())


def test_refused_write_rolls_the_dataplane_back(world: World, openbao: OpenBao) -> None:
    token = token_with_policy(openbao, READ_ONLY)
    base = f"ro-{uuid.uuid4().hex[:8]}"
    _use_vault(world, openbao.url, base)
    world.env["BAO_TOKEN"] = token
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    assert failed["dataplane aws-us-east-1/us-east-1-primary"] == (
        f"DataPlane aws-us-east-1/us-east-1-primary: vault {openbao.url} "
        f"secret/{base}/aws-us-east-1/us-east-1-primary: cannot write: permission denied"
    )
    live = asyncio.run(_live_dataplanes(world))
    assert "us-east-1-primary" not in live  # rolled back: nobody could ever use it
    assert token not in str(failed)
    # the sink reads nothing; the next plan creates it again
    desired = world.desired()
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "us-east-1-primary")
    sink = sinks_for(desired, world.ctx())(dataplane)
    assert isinstance(sink, ManagedSink) and sink.read() is None


def test_unreachable_vault_rolls_the_dataplane_back_and_names_the_url(world: World) -> None:
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    _use_vault(world, address, "down")
    world.env["BAO_TOKEN"] = "s.canary-unreachable-token"
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    error = failed["dataplane aws-us-east-1/us-east-1-primary"]
    assert error.startswith(f"DataPlane aws-us-east-1/us-east-1-primary: vault {address} ")
    assert "canary-unreachable-token" not in str(failed)
    assert "us-east-1-primary" not in asyncio.run(_live_dataplanes(world))


def test_a_rotation_whose_sink_refuses_the_write_keeps_the_old_dataplane_working(
    world: World, openbao: OpenBao
) -> None:
    """Create-before-destroy with a sink fault: the new data plane is deleted again, the old
    one and the credentials the sink holds are untouched and still accepted, and the rotation
    can be run again once the sink takes writes."""
    base = f"rot-{uuid.uuid4().hex[:8]}"
    _use_vault(world, openbao.url, base)
    world.env["BAO_TOKEN"] = openbao.root_token
    asyncio.run(world.converge())
    path = f"{base}/aws-us-east-1/us-east-1-primary"
    kv = hvac.Client(url=openbao.url, token=openbao.root_token).secrets.kv.v2

    def stored() -> dict[str, str]:
        answer = kv.read_secret_version(
            path=path, mount_point="secret", raise_on_deleted_version=True
        )
        data: dict[str, str] = answer["data"]["data"]
        return data

    before = stored()
    world.env["BAO_TOKEN"] = token_with_policy(openbao, READ_ONLY)
    result = asyncio.run(world.apply(rotate=frozenset({"aws-us-east-1/us-east-1-primary"})))
    assert not result.ok
    [error] = [o.error for o in result.failed]
    assert f"secret/{path}: cannot write: permission denied" in error
    assert before["DATAPLANE_CLIENT_SECRET"] not in error
    assert asyncio.run(_live_dataplanes(world)) == ["ap-southeast-2-primary", "us-east-1-primary"]
    assert stored() == before  # the sink still holds the old data plane's credentials

    assert accepted(world, before)
    # Once the sink takes writes again, the rotation goes through: new credentials stored,
    # still two data planes at most (the old one retiring until verify sees the new ones).
    world.env["BAO_TOKEN"] = openbao.root_token
    asyncio.run(world.converge(rotate=frozenset({"aws-us-east-1/us-east-1-primary"})))
    after = stored()
    assert after["DATAPLANE_ID"] != before["DATAPLANE_ID"]
    assert accepted(world, after) and accepted(world, before)
