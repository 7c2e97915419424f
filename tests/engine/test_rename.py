"""Issue 15.4: a workspace renamed in Git with ``previousNames`` is renamed in place: same
id, permissions kept, no delete, and the next plan is empty."""

from __future__ import annotations

from reconciler.core.output import render

from .harness import World, edit, lines
from .test_access import run


def test_rename_keeps_the_id_and_the_permissions(applied: World) -> None:
    world = applied
    path = world.config / "workspaces/marketing-eu.yaml"
    edit(path, "name: marketing-eu\n", "name: marketing-emea\npreviousNames: [marketing-eu]\n")

    async def ids() -> dict[str, str]:
        async with world.api() as api:
            return {w["name"]: w["workspaceId"] for w in await api.list_workspaces()}

    before = run(ids())["marketing-eu"]
    plan = run(world.prepare(prune=True)).plan
    assert [(c.action.value, str(c.key)) for c in plan.changes] == [
        ("update", "workspace marketing-emea")
    ]
    text = lines(render(plan, "text"))
    assert "~ workspace marketing-eu → marketing-emea (rename)" in text
    run(world.converge(prune=True))
    after = run(ids())
    assert after.get("marketing-emea") == before and "marketing-eu" not in after
    assert run(world.prepare(prune=True)).plan.changes == ()
