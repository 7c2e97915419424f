"""Issue 4: plan shows the creates, apply converges, the second plan is empty; config edits
are field-level updates; API-side changes are drift and get healed; deletes need both
gates, respect the caps and never touch protected objects."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.core.output import render
from reconciler.errors import RefusedError

from .harness import EXAMPLE_USERS, World, change_for, edit, lines, summary

ALL_CREATES = [
    ("create", "region aws-ap-southeast-2", ""),
    ("create", "region aws-us-east-1", ""),
    ("create", "dataplane aws-ap-southeast-2/ap-southeast-2-primary", ""),
    ("create", "dataplane aws-us-east-1/us-east-1-primary", ""),
    ("create", "workspace au-analytics", ""),
    ("create", "workspace marketing-eu", ""),
    ("create", "workspace us-analytics", ""),
    # add_user makes every user an organization_member: the org role is an update.
    ("update", "permission organization/auditor@acme.example", ""),
    ("update", "permission organization/platform-admin@acme.example", ""),
    ("create", "permission workspace:au-analytics/data-eng-au@acme.example", ""),
    ("create", "permission workspace:marketing-eu/analyst@acme.example", ""),
    ("create", "permission workspace:marketing-eu/marketing-lead@acme.example", ""),
    ("create", "permission workspace:us-analytics/analyst@acme.example", ""),
    ("create", "permission workspace:us-analytics/data-eng-us@acme.example", ""),
    ("create", "group data-eng-us", ""),
    ("create", "groupmember data-eng-us/analyst@acme.example", ""),
    ("create", "groupmember data-eng-us/data-eng-us@acme.example", ""),
    ("create", "grouppermission organization/group:data-eng-us", ""),
    ("create", "grouppermission workspace:us-analytics/group:data-eng-us", ""),
]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_plan_shows_creates_apply_converges_and_the_next_plan_is_empty(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    first = run(world.prepare())
    assert summary(first.plan) == ALL_CREATES
    assert first.plan.has_changes
    result = run(world.converge())
    assert len(result.outcomes) == len(ALL_CREATES)
    second = run(world.prepare())
    assert second.plan.changes == ()
    assert not second.plan.has_changes
    assert second.plan.unchanged == {
        "dataplane": 2,
        "group": 1,
        "groupmember": 2,
        "grouppermission": 2,
        "permission": 7,
        "region": 2,
        "workspace": 3,
    }
    assert (
        render(second.plan, "text")
        .splitlines()[-1]
        .startswith("No changes. Live state matches the config. (19 unchanged, ")
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "key", "expected"),
    [
        (
            "regions/aws-ap-southeast-2.yaml",
            "enabled: true",
            "enabled: false",
            "region aws-ap-southeast-2",
            ["~ region aws-ap-southeast-2", "    enabled: true → false"],
        ),
        (
            "workspaces/marketing-eu.yaml",
            "  syncDisabled:\n    email: {enabled: true}",
            "  syncDisabled:\n    email: {enabled: false}",
            "workspace marketing-eu",
            ["~ workspace marketing-eu", "    notifications.syncDisabled.email: true → false"],
        ),
        (
            "workspaces/analytics.yaml",
            "name: au-analytics\nregion: aws-ap-southeast-2\nclassification: sensitive\n"
            "jurisdiction: AU\nnotifications:\n  failure:\n    email: {enabled: true}",
            "name: au-analytics\nregion: aws-ap-southeast-2\nclassification: sensitive\n"
            "jurisdiction: AU\nnotifications:\n  failure:\n    email: {enabled: true}\n"
            "  success:\n    email: {enabled: true}",
            "workspace au-analytics",
            ["~ workspace au-analytics", "    notifications.success.email: false → true"],
        ),
    ],
    ids=["region-enabled", "workspace-notification-off", "workspace-notification-on"],
)
def test_a_config_edit_is_a_field_level_update_and_converges(
    world: World, file: str, old: str, new: str, key: str, expected: list[str]
) -> None:
    run(world.converge())
    edit(world.config / file, old, new)
    plan = run(world.prepare()).plan
    assert summary(plan) == [("update", key, "")]
    change = change_for(plan, key)
    assert not change.drift
    assert lines(render(plan, "text"))[: len(expected)] == expected
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()


def _drift_region(client, ids):  # type: ignore[no-untyped-def]
    return client.update_region(ids["region aws-us-east-1"], enabled=False)


def _drift_workspace_region(client, ids):  # type: ignore[no-untyped-def]
    return client.update_workspace(ids["workspace marketing-eu"], region_id=ids["managed US"])


def _drift_notifications(client, ids):  # type: ignore[no-untyped-def]
    events = (
        "failure",
        "success",
        "connectionUpdate",
        "connectionUpdateActionRequired",
        "syncDisabled",
        "syncDisabledWarning",
    )
    off = {e: {"email": {"enabled": False}, "webhook": {"enabled": False}} for e in events}
    return client.update_workspace(ids["workspace au-analytics"], notifications=off)


@pytest.mark.parametrize(
    ("mutate", "key", "text"),
    [
        (
            _drift_region,
            "region aws-us-east-1",
            ["~ region aws-us-east-1 (drift: changed outside Git)", "    enabled: false → true"],
        ),
        (
            _drift_workspace_region,
            "workspace marketing-eu",
            ["~ workspace marketing-eu (drift: changed outside Git)", '    region: "us" → "eu"'],
        ),
        (
            _drift_notifications,
            "workspace au-analytics",
            [
                "~ workspace au-analytics (drift: changed outside Git)",
                "    notifications.failure.email: false → true",
            ],
        ),
    ],
    ids=["region-enabled", "workspace-region", "workspace-notifications"],
)
def test_a_change_through_the_api_is_drift_and_apply_heals_it(
    world: World,
    mutate,
    key: str,
    text: list[str],  # type: ignore[no-untyped-def]
) -> None:
    run(world.converge())

    async def change_it() -> None:
        async with world.api() as client:
            regions = await client.list_regions(world.creds.organization_id)
            ids = {f"region {r['name']}": r["regionId"] for r in regions}
            ids["managed US"] = next(r["regionId"] for r in regions if r["name"] == "US")
            for ws in await client.list_workspaces():
                ids[f"workspace {ws['name']}"] = ws["workspaceId"]
            await mutate(client, ids)

    run(change_it())
    plan = run(world.prepare()).plan
    assert summary(plan) == [("update", key, "")]
    assert change_for(plan, key).drift
    assert lines(render(plan, "text"))[: len(text)] == text
    assert [c["drift"] for c in _json_changes(plan)] == [True]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()


def _json_changes(plan) -> list[dict]:  # type: ignore[no-untyped-def]
    import json

    return json.loads(render(plan, "json"))["changes"]  # type: ignore[no-any-return]


def _remove_file(world: World, rel: str) -> None:
    (world.config / rel).unlink()


def _set_prune(world: World, kind: str) -> None:
    edit(world.config / "organization.yaml", f"  {kind}: false", f"  {kind}: true")


def test_a_deleted_file_deletes_only_with_prune_and_the_policy(world: World) -> None:
    run(world.converge())
    _remove_file(world, "workspaces/marketing-eu.yaml")
    policy_off = (
        "pruning of workspaces is off (organization prune policy); to delete, set "
        "prune.workspaces: true in the Organization"
    )
    # Neither gate open, then only --prune: blocked by the organisation's policy, and the
    # reason says every key to turn (the policy, and --prune when it is missing too).
    for prune, also in ((False, " and run with --prune"), (True, "")):
        plan = run(world.prepare(prune=prune)).plan
        assert summary(plan) == [("delete", "workspace marketing-eu", policy_off + also)]
        assert not plan.has_changes
        assert f"- workspace marketing-eu (blocked: {policy_off}{also})" in render(plan, "text")
    assert run(world.apply(prune=True)).outcomes == ()
    # Only the policy: blocked until --prune.
    _set_prune(world, "workspaces")
    plan = run(world.prepare(prune=False)).plan
    assert summary(plan) == [("delete", "workspace marketing-eu", "run with --prune to delete")]
    assert run(world.apply(prune=False)).outcomes == ()
    # Both gates: deleted.
    result = run(world.converge(prune=True))
    assert [(o.change.action.value, str(o.change.key)) for o in result.outcomes] == [
        ("delete", "workspace marketing-eu")
    ]
    assert run(world.prepare(prune=True)).plan.changes == ()

    async def names() -> list[str]:
        async with world.api() as client:
            return sorted(w["name"] for w in await client.list_workspaces())

    assert run(names()) == ["au-analytics", "us-analytics"]


def test_max_deletes_caps_the_plan(world: World) -> None:
    run(world.converge())
    _set_prune(world, "workspaces")
    _remove_file(world, "workspaces/marketing-eu.yaml")
    with pytest.raises(RefusedError) as refused:
        run(world.apply(prune=True, max_deletes=0))
    assert str(refused.value) == (
        "apply refused:\n  the plan deletes 1 objects, more than --max-deletes 0; "
        "review the plan and raise the cap if this is intended"
    )
    assert [c.action.value for c in run(world.prepare(prune=True)).plan.changes] == ["delete"]


def test_deleting_every_managed_workspace_is_refused(world: World) -> None:
    run(world.converge())
    _set_prune(world, "workspaces")
    _set_prune(world, "permissions")
    _remove_file(world, "workspaces/marketing-eu.yaml")
    _remove_file(world, "workspaces/analytics.yaml")
    with pytest.raises(RefusedError) as refused:
        run(world.apply(prune=True, max_deletes=50))
    assert str(refused.value) == (
        "apply refused:\n  the plan deletes every managed workspace (3); an empty or almost "
        "empty config is refused: delete them in smaller steps if this is intended"
    )
    assert run(world.prepare(prune=True)).plan.counts()["delete"] == 3


def test_protected_objects_are_never_deleted_even_after_their_file_is_gone(world: World) -> None:
    edit(
        world.config / "workspaces/marketing-eu.yaml", "region: EU\n", "region: EU\nprotect: true\n"
    )
    run(world.converge())
    _set_prune(world, "workspaces")
    _remove_file(world, "workspaces/marketing-eu.yaml")
    plan = run(world.prepare(prune=True)).plan
    assert summary(plan) == [
        (
            "delete",
            "workspace marketing-eu",
            "protected (protect: true); release it with --unprotect workspace/marketing-eu",
        )
    ]
    assert run(world.apply(prune=True)).outcomes == ()
    assert summary(run(world.prepare(prune=True)).plan)[0][2].startswith("protected")


def test_protection_added_to_an_existing_object_is_kept(world: World) -> None:
    run(world.converge())
    edit(
        world.config / "workspaces/marketing-eu.yaml", "region: EU\n", "region: EU\nprotect: true\n"
    )
    # The object exists already: protection is recorded without any API change.
    run(world.converge())
    _set_prune(world, "workspaces")
    _remove_file(world, "workspaces/marketing-eu.yaml")
    assert summary(run(world.prepare(prune=True)).plan) == [
        (
            "delete",
            "workspace marketing-eu",
            "protected (protect: true); release it with --unprotect workspace/marketing-eu",
        )
    ]
