"""Issue 15.4: a workspace, region or data plane renamed in Git with ``previousNames`` is
renamed in place: same id, what hangs off it kept (permissions, connections, sources and
destinations; data planes; credentials, moved to where the new name puts them), no delete,
and the next plan is empty. A data plane cannot change region: the plan says so and what the
create and delete it takes instead cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.core.output import render
from reconciler.core.resources import Kind
from reconciler.engine.store import InventoryStore
from reconciler.sinks import stored_credentials
from reconciler.state import backend_of
from tests.controlplane.conftest import connect

from .harness import ORG_ID, World, change_for, edit, lines, summary
from .test_access import run

TOKEN_URL = "http://embedded/api/v1/dataplanes/token"
US_PLANE = "dataplanes/aws-us-east-1.yaml"


def live_ids(world: World) -> dict[str, dict[str, str]]:
    """kind -> name (data planes: region/name) -> id, as the control plane has them."""

    async def read() -> dict[str, dict[str, str]]:
        async with world.api() as api:
            regions = [r for r in await api.list_regions(ORG_ID) if r["organizationId"] == ORG_ID]
            region_names = {r["regionId"]: r["name"] for r in regions}
            planes = await api.list_dataplanes()
            return {
                "region": {r["name"]: r["regionId"] for r in regions},
                "dataplane": {
                    f"{region_names[d['regionId']]}/{d['name']}": d["dataplaneId"]
                    for d in planes
                    if d["regionId"] in region_names
                },
                "workspace": {w["name"]: w["workspaceId"] for w in await api.list_workspaces()},
            }

    return run(read())


def credentials_work(world: World, key: str) -> bool:
    creds = stored_credentials(world.desired(), state_dir=world.state)[key]
    assert creds is not None, key

    async def token() -> bool:
        async with world.api() as api:
            return await api.dataplane_token(
                TOKEN_URL, client_id=creds.client_id, client_secret=creds.client_secret
            )

    return run(token())


def text(world: World, **kw: Any) -> list[str]:
    return lines(render(run(world.prepare(**kw)).plan, "text"))


def test_rename_keeps_the_id_and_the_permissions(applied: World) -> None:
    world = applied
    path = world.config / "workspaces/marketing-eu.yaml"
    edit(path, "name: marketing-eu\n", "name: marketing-emea\npreviousNames: [marketing-eu]\n")
    before = live_ids(world)["workspace"]["marketing-eu"]
    plan = run(world.prepare(prune=True)).plan
    assert [(c.action.value, str(c.key)) for c in plan.changes] == [
        ("update", "workspace marketing-emea")
    ]
    out = lines(render(plan, "text"))
    assert "~ workspace marketing-eu → marketing-emea (rename)" in out
    run(world.converge(prune=True))
    after = live_ids(world)["workspace"]
    assert after.get("marketing-emea") == before and "marketing-eu" not in after
    assert run(world.prepare(prune=True)).plan.changes == ()
    # The inventory follows: the permissions on the workspace are recorded under its new name.
    inventory = InventoryStore(backend_of(world.state)).load()
    names = {e.key.name for e in inventory if e.key.kind is Kind.PERMISSION}
    assert "workspace:marketing-emea/marketing-lead@acme.example" in names
    assert not [n for n in names if n.startswith("workspace:marketing-eu/")]


def test_a_renamed_workspace_keeps_its_connectors_and_connections(applied: World) -> None:
    world = applied
    ws = live_ids(world)["workspace"]["marketing-eu"]

    async def make_connectors() -> None:
        async with connect(world.plane, world.creds) as api:
            made = {}
            for kind, type_key in (("sources", "sourceType"), ("destinations", "destinationType")):
                body = {"name": "c", "workspaceId": ws, "configuration": {type_key: "postgres"}}
                answer = await api.post(kind, json=body)
                assert answer.status_code == 200
                made[kind] = answer.json()[type_key[:-4] + "Id"]
            body = {"sourceId": made["sources"], "destinationId": made["destinations"]}
            assert (await api.post("connections", json=body)).status_code == 200

    async def in_workspace() -> dict[str, int]:
        async with connect(world.plane, world.creds) as api:
            out = {}
            for kind in ("sources", "destinations", "connections"):
                page = (await api.get(kind, params={"workspaceIds": ws})).json()
                out[kind] = len(page["data"])
            return out

    run(make_connectors())
    path = world.config / "workspaces/marketing-eu.yaml"
    edit(path, "name: marketing-eu\n", "name: marketing-emea\npreviousNames: [marketing-eu]\n")
    run(world.converge(prune=True))
    assert live_ids(world)["workspace"]["marketing-emea"] == ws
    assert run(in_workspace()) == {"sources": 1, "destinations": 1, "connections": 1}


def rename_region(config: Path, new: str) -> None:
    edit(
        config / "regions/aws-us-east-1.yaml",
        "name: aws-us-east-1\n",
        f"name: {new}\npreviousNames: [aws-us-east-1]\n",
    )
    edit(config / US_PLANE, "region: aws-us-east-1\n", f"region: {new}\n")
    edit(config / "workspaces/analytics.yaml", "region: aws-us-east-1\n", f"region: {new}\n")


def test_region_rename_keeps_ids_and_moves_the_credentials(applied: World) -> None:
    world = applied
    before = live_ids(world)
    old_file = world.state.root / "credentials/aws-us-east-1--us-east-1-primary.yaml"
    assert old_file.is_file()
    rename_region(world.config, "aws-us-east-1b")
    plan = run(world.prepare(prune=True)).plan
    assert summary(plan) == [
        ("update", "region aws-us-east-1b", ""),
        ("update", "dataplane aws-us-east-1b/us-east-1-primary", ""),
    ]
    out = lines(render(plan, "text"))
    assert "~ region aws-us-east-1 → aws-us-east-1b (rename)" in out
    assert (
        "~ dataplane aws-us-east-1/us-east-1-primary → aws-us-east-1b/us-east-1-primary (rename)"
        in out
    )
    note = change_for(plan, "dataplane aws-us-east-1b/us-east-1-primary").notes
    assert note[0].startswith("its region is renamed: the data plane keeps its id")
    assert note[1].startswith("its credentials move from file ")
    assert "aws-us-east-1b--us-east-1-primary.yaml" in note[1]
    run(world.converge(prune=True))
    after = live_ids(world)
    assert after["region"]["aws-us-east-1b"] == before["region"]["aws-us-east-1"]
    plane = "aws-us-east-1b/us-east-1-primary"
    assert after["dataplane"][plane] == before["dataplane"]["aws-us-east-1/us-east-1-primary"]
    assert after["workspace"] == before["workspace"]
    assert not old_file.exists()
    assert credentials_work(world, plane)
    assert run(world.prepare(prune=True)).plan.changes == ()


def test_dataplane_rename_keeps_the_id_and_its_credentials(applied: World) -> None:
    world = applied
    before = live_ids(world)["dataplane"]["aws-us-east-1/us-east-1-primary"]
    edit(
        world.config / US_PLANE,
        "name: us-east-1-primary\n",
        "name: us-east-1-main\npreviousNames: [us-east-1-primary]\n",
    )
    plan = run(world.prepare(prune=True)).plan
    assert summary(plan) == [("update", "dataplane aws-us-east-1/us-east-1-main", "")]
    out = lines(render(plan, "text"))
    assert (
        "~ dataplane aws-us-east-1/us-east-1-primary → aws-us-east-1/us-east-1-main (rename)" in out
    )
    assert "    # renamed in place (PATCH of the name): the id and its credentials are kept" in out
    run(world.converge(prune=True))
    ids = live_ids(world)["dataplane"]
    assert ids == {
        **{k: v for k, v in ids.items() if "us-east-1-main" not in k},
        "aws-us-east-1/us-east-1-main": before,
    }
    assert "aws-us-east-1/us-east-1-primary" not in ids
    assert credentials_work(world, "aws-us-east-1/us-east-1-main")
    assert run(world.prepare(prune=True)).plan.changes == ()


def test_region_and_dataplane_renamed_together(applied: World) -> None:
    world = applied
    before = live_ids(world)["dataplane"]["aws-us-east-1/us-east-1-primary"]
    rename_region(world.config, "aws-us-east-1b")
    edit(
        world.config / US_PLANE,
        "name: us-east-1-primary\n",
        "name: us-east-1-main\npreviousNames: [aws-us-east-1/us-east-1-primary]\n",
    )
    plan = run(world.prepare(prune=True)).plan
    assert summary(plan) == [
        ("update", "region aws-us-east-1b", ""),
        ("update", "dataplane aws-us-east-1b/us-east-1-main", ""),
    ]
    run(world.converge(prune=True))
    assert live_ids(world)["dataplane"]["aws-us-east-1b/us-east-1-main"] == before
    assert credentials_work(world, "aws-us-east-1b/us-east-1-main")
    assert run(world.prepare(prune=True)).plan.changes == ()


def test_a_dataplane_cannot_move_to_another_region(applied: World) -> None:
    world = applied
    edit(
        world.config / US_PLANE,
        "name: us-east-1-primary\nregion: aws-us-east-1\n",
        "name: us-east-1-primary\nregion: aws-ap-southeast-2\n"
        "previousNames: [aws-us-east-1/us-east-1-primary]\n",
    )
    plan = run(world.prepare(prune=True)).plan
    assert [(a, k) for a, k, _ in summary(plan)] == [
        ("create", "dataplane aws-ap-southeast-2/us-east-1-primary"),
        ("delete", "dataplane aws-us-east-1/us-east-1-primary"),
    ]
    create = change_for(plan, "dataplane aws-ap-southeast-2/us-east-1-primary")
    assert create.notes == (
        "previously aws-us-east-1/us-east-1-primary (previousNames), in another region: the API "
        "cannot move a data plane to another region, so this is a new data plane with new "
        "credentials; the cluster must get the new Secret (re-render and roll out the release), "
        "and aws-us-east-1/us-east-1-primary is deleted (with --prune)",
    )
    delete = change_for(plan, "dataplane aws-us-east-1/us-east-1-primary")
    assert delete.notes[-1] == (
        "replaced by aws-ap-southeast-2/us-east-1-primary (previousNames; a data plane cannot "
        "change region): the cluster running with its credentials stops syncing once it is "
        "deleted"
    )
    assert delete.blocked is not None  # the example's prune policy keeps data planes
    out = lines(render(plan, "markdown"))
    assert any("the API cannot move a data plane to another region" in line for line in out)
