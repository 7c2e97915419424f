"""apply with the azure-key-vault sink on the embedded control plane and the local Key Vault
emulation (HTTPS, Entra ID client-credentials login): the credentials land in the templated
secret, the rendered ExternalSecret reads exactly there and they work against the control
plane; a refused write, a refused login or an unreachable vault rolls the data plane back,
naming the vault URL and the secret, with no value in any output; a rotation writes a new
version over the same secret."""

from __future__ import annotations

import asyncio
import json

from tests.servers.azurekv import OFFICER, USER, Application, AzureKeyVault
from tests.servers.procs import free_port

from .harness import World, edit
from .test_managed_sink_apply import (
    DP_FILE,
    _live_dataplanes,
    accepted,
    rendered_reads_the_sink,
)

NAME = "airbyte-aws-us-east-1--us-east-1-primary"
KEY = "dataplane aws-us-east-1/us-east-1-primary"
ROTATE = frozenset({"aws-us-east-1/us-east-1-primary"})


def _use_azure(world: World, kv: AzureKeyVault, app: Application, *, vault_url: str = "") -> None:
    world.env["AZ_CLIENT_SECRET"] = app.client_secret
    edit(
        world.config / DP_FILE,
        "credentials:\n  type: file\n",
        "credentials:\n  type: azure-key-vault\n  azureKeyVault:\n"
        f"    vaultUrl: {vault_url or kv.url}\n    tags: {{team: data}}\n"
        "    auth:\n      method: client-secret\n"
        f"      tenantId: {app.tenant_id}\n      clientId: {app.client_id}\n"
        "      clientSecret: {env: AZ_CLIENT_SECRET}\n"
        f"      authorityHost: {kv.url}\n",
    )


def _everything_written(world: World) -> str:
    return "".join(p.read_text(errors="replace") for p in world.root.rglob("*") if p.is_file())


def _stored(kv: AzureKeyVault) -> dict[str, str]:
    secret = kv.secret(NAME)
    assert secret is not None and not secret.deleted
    data: dict[str, str] = json.loads(secret.value)
    return data


def test_azure_sink_end_to_end(world: World, azurekv: AzureKeyVault) -> None:
    app = azurekv.application(OFFICER)
    _use_azure(world, azurekv, app)
    result = asyncio.run(world.converge())
    created = [o for o in result.outcomes if str(o.change.key) == KEY]
    assert len(created) == 1 and created[0].ok
    data = _stored(azurekv)
    assert data["DATAPLANE_ID"] == created[0].object_id
    assert azurekv.secret(NAME).tags == {"team": "data"}  # type: ignore[union-attr]
    written = _everything_written(world)
    assert data["DATAPLANE_CLIENT_SECRET"] not in written
    assert app.client_secret not in written
    assert not list(world.state.root.glob("credentials/aws-us-east-1*"))

    rendered_reads_the_sink(
        world,
        data,
        key=NAME,
        store={"name": "flexctl-azure-key-vault", "kind": "ClusterSecretStore"},
        note=f"using the `azurekv` provider with `vaultUrl: {azurekv.url}`",
    )


def test_refused_write_rolls_the_dataplane_back(world: World, azurekv: AzureKeyVault) -> None:
    app = azurekv.application(USER)  # "Key Vault Secrets User": read only
    _use_azure(world, azurekv, app)
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    assert failed[KEY] == (
        f"DataPlane aws-us-east-1/us-east-1-primary: azure-key-vault {azurekv.url}/secrets/"
        f"{NAME}: cannot write: permission denied"
    )
    assert "us-east-1-primary" not in asyncio.run(_live_dataplanes(world))
    assert azurekv.secret(NAME) is None
    assert app.client_secret not in str(failed) + _everything_written(world)


def test_refused_login_rolls_the_dataplane_back(world: World, azurekv: AzureKeyVault) -> None:
    app = azurekv.application(OFFICER)
    _use_azure(world, azurekv, app)
    canary = "canary-azure-wrong-client-secret"
    world.env["AZ_CLIENT_SECRET"] = canary
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    assert failed[KEY] == (
        f"DataPlane aws-us-east-1/us-east-1-primary: azure-key-vault {azurekv.url}/secrets/"
        f"{NAME}: cannot write: cannot log in: the token request was refused (AADSTS7000215)"
    )
    assert "us-east-1-primary" not in asyncio.run(_live_dataplanes(world))
    assert canary not in str(failed) + _everything_written(world)


def test_unreachable_vault_rolls_the_dataplane_back_and_names_the_url(
    world: World, azurekv: AzureKeyVault
) -> None:
    down = f"https://127.0.0.1:{free_port()}"  # nothing listens there
    _use_azure(world, azurekv, azurekv.application(OFFICER), vault_url=down)
    result = asyncio.run(world.apply())
    failed = {str(o.change.key): o.error for o in result.failed}
    assert failed[KEY] == (
        f"DataPlane aws-us-east-1/us-east-1-primary: azure-key-vault {down}/secrets/{NAME}: "
        f"cannot write: {down} unreachable"
    )
    assert "us-east-1-primary" not in asyncio.run(_live_dataplanes(world))


def test_rotation_writes_a_new_version_and_keeps_the_old_one_working(
    world: World, azurekv: AzureKeyVault
) -> None:
    app = azurekv.application(OFFICER)
    _use_azure(world, azurekv, app)
    asyncio.run(world.converge())
    before = _stored(azurekv)

    result = asyncio.run(world.apply(rotate=ROTATE))
    assert result.ok, [o.error for o in result.failed]
    after = _stored(azurekv)
    assert after["DATAPLANE_ID"] != before["DATAPLANE_ID"]
    assert len(azurekv.secret(NAME).versions) == 2  # type: ignore[union-attr]
    # create-before-destroy: both work until verify sees the new ones in use
    assert accepted(world, after) and accepted(world, before)
