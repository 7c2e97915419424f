"""Issue 15.5: a workspace delete in the plan says what goes with it (the server deletes a
workspace's connections, sources and destinations with it), read with one paginated list
call per kind per run, not per workspace, and only when the plan deletes a workspace. Every
format carries it: text, JSON (the plan schema) and Markdown."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.core.output import render
from reconciler.core.output.jsonout import plan_schema
from reconciler.core.plan import Plan
from reconciler.engine.apply import check_saved_plan
from reconciler.engine.session import prepare
from reconciler.errors import RefusedError
from tests.controlplane.conftest import connect

from .harness import World, change_for, edit, lines
from .test_access import run

LISTS = ("GET /connections", "GET /sources", "GET /destinations")


def workspace_ids(world: World) -> dict[str, str]:
    async def read() -> dict[str, str]:
        async with world.api() as api:
            return {w["name"]: w["workspaceId"] for w in await api.list_workspaces()}

    return run(read())


def populate(world: World, counts: dict[str, tuple[int, int, int]]) -> None:
    """Per workspace name: that many (connections, sources, destinations)."""
    ids = workspace_ids(world)

    async def make() -> None:
        async with connect(world.plane, world.creds) as api:
            for name, (connections, sources, destinations) in counts.items():
                made: dict[str, list[str]] = {"sources": [], "destinations": []}
                for kind, many in (("sources", sources), ("destinations", destinations)):
                    type_key = "sourceType" if kind == "sources" else "destinationType"
                    for i in range(many):
                        body = {
                            "name": f"{kind}-{i}",
                            "workspaceId": ids[name],
                            "configuration": {type_key: "postgres"},
                        }
                        r = await api.post(kind, json=body)
                        assert r.status_code == 200, r.text
                        made[kind].append(r.json()[type_key[:-4] + "Id"])
                for i in range(connections):
                    body = {
                        "name": f"sync-{i}",
                        "sourceId": made["sources"][i % sources],
                        "destinationId": made["destinations"][i % destinations],
                    }
                    r = await api.post("connections", json=body)
                    assert r.status_code == 200, r.text

    run(make())


def drop(world: World, *names: str) -> None:
    edit(world.config / "organization.yaml", "  workspaces: false\n", "  workspaces: true\n")
    for name in names:
        if name == "marketing-eu":
            (world.config / "workspaces/marketing-eu.yaml").unlink()
        else:
            path = world.config / "workspaces/analytics.yaml"
            docs = path.read_text().split("\n---\n")
            path.write_text("\n---\n".join(d for d in docs if f"name: {name}\n" not in d))


def plan_with_calls(world: World) -> tuple[Any, dict[str, int]]:
    async def go() -> tuple[Any, dict[str, int]]:
        async with world.connection() as conn:
            prepared = await prepare(conn, world.desired(), world.ctx(), prune=True)
            return prepared.plan, dict(conn.client.calls.by_endpoint)

    return run(go())


def test_a_workspace_delete_says_what_goes_with_it(applied: World) -> None:
    world = applied
    populate(
        world, {"marketing-eu": (12, 3, 2), "au-analytics": (1, 1, 1), "us-analytics": (2, 1, 1)}
    )
    # The connections list the hashing policy reads on every plan (engine.connections).
    hashing = plan_with_calls(world)[1].get(LISTS[0], 0)
    drop(world, "marketing-eu", "au-analytics")
    plan, calls = plan_with_calls(world)
    # One list per kind for both deletes, not one per workspace.
    assert [calls.get(k) for k in LISTS] == [hashing + 1, 1, 1]
    eu = change_for(plan, "workspace marketing-eu")
    assert eu.deletes_with == {"connections": 12, "sources": 3, "destinations": 2}
    au = change_for(plan, "workspace au-analytics")
    assert au.deletes_with == {"connections": 1, "sources": 1, "destinations": 1}

    text = lines(render(plan, "text"))
    at = text.index("- workspace marketing-eu")
    assert "    # deletes 12 connections, 3 sources, 2 destinations" in text[at : at + 4]
    assert "    # deletes 1 connection, 1 source, 1 destination" in text

    document = json.loads(render(plan, "json"))
    jsonschema.validate(document, plan_schema())
    by_name = {c["name"]: c for c in document["changes"]}
    assert by_name["marketing-eu"]["deletesWith"] == {
        "connections": 12,
        "sources": 3,
        "destinations": 2,
    }
    assert "deletesWith" not in by_name.get("us-analytics", {})

    markdown = render(plan, "markdown")
    assert "deletes 12 connections, 3 sources, 2 destinations" in markdown


def test_no_lists_without_a_workspace_delete(applied: World) -> None:
    world = applied
    populate(world, {"marketing-eu": (1, 1, 1)})
    plan, calls = plan_with_calls(world)
    assert plan.changes == ()
    # Only what the hashing policy reads anyway (engine.connections), nothing for deletes.
    assert [calls.get(k) for k in LISTS[1:]] == [None, None]
    assert calls.get(LISTS[0], 0) <= 1


def test_counts_past_one_page(applied: World) -> None:
    world = applied
    populate(world, {"marketing-eu": (101, 101, 1)})
    drop(world, "marketing-eu")
    plan, _ = plan_with_calls(world)
    eu = change_for(plan, "workspace marketing-eu")
    assert eu.deletes_with == {"connections": 101, "sources": 101, "destinations": 1}


def test_a_saved_plan_is_refused_when_more_would_go(applied: World) -> None:
    world = applied
    populate(world, {"marketing-eu": (2, 1, 1)})
    drop(world, "marketing-eu")
    saved = Plan.from_json(json.loads(render(plan_with_calls(world)[0], "json")))
    check_saved_plan(saved, plan_with_calls(world)[0])  # nothing moved: accepted
    populate(world, {"marketing-eu": (1, 1, 1)})
    with pytest.raises(RefusedError) as refused:
        check_saved_plan(saved, plan_with_calls(world)[0])
    assert str(refused.value) == (
        "refusing the saved plan: what goes with a deleted workspace changed since the plan "
        "was made (workspace marketing-eu: deletes 2 connections, 1 source, 1 destination → "
        "workspace marketing-eu: deletes 3 connections, 2 sources, 2 destinations). Make a new "
        "plan and review it."
    )
