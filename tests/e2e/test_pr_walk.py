"""Done means (issue 12): a pull request's plan tells the whole truth. A PR with a prune, a
blocked revoke, a grant to a user who has not signed in, and (in the second walk) a
``--max-deletes`` refusal goes ``plan --out PLAN.json`` -> ``apply PLAN.json``; apply does
exactly what the plan showed, or refuses with the reason the plan showed.

The config is read from a real Git repository (a pinned-author commit on ``main``, the pull
request on ``feature``), as the CI jobs of ``examples/github-actions`` read it.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import git

from ..engine.harness import EXAMPLE_USERS, edit
from .conftest import Cli

NEW_HIRE = "new-hire@acme.example"
PINNED = {
    "GIT_AUTHOR_NAME": "flexctl-test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "1704067200 +0000",
    "GIT_COMMITTER_NAME": "flexctl-test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_DATE": "1704067200 +0000",
}


def open_pull_request(cli: Cli) -> list[str]:
    """``main`` holds the example (applied, its users signed in); ``feature`` drops the
    marketing workspace (prune.workspaces on), drops the analyst from us-analytics (a revoke:
    prune.permissions stays off, so it is blocked) and grants a new hire who has not signed in
    (pending). Returns the source arguments of the pull request's head."""
    work = cli.root / "repo"
    repo = git.Repo.init(work, initial_branch="main")
    shutil.copytree(cli.config, work / "config")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "example organisation", env=PINNED)
    base = ["--repo", "repo", "--ref", "main", "--path", "config", "--embedded"]
    assert cli("plan", *base).code == 0  # bootstraps the embedded control plane
    cli.add_users(*EXAMPLE_USERS)
    assert cli("apply", *base, "--yes").code == 0
    repo.git.checkout("-q", "-b", "feature")
    config = work / "config"
    edit(config / "organization.yaml", "  workspaces: false", "  workspaces: true")
    (config / "workspaces/marketing-eu.yaml").unlink()
    edit(
        config / "workspaces/analytics.yaml",
        "  - user: analyst@acme.example\n    role: workspace_runner\n",
        "",
    )
    edit(
        config / "workspaces/analytics.yaml",
        "  - user: data-eng-au@acme.example\n    role: workspace_admin\n",
        "  - user: data-eng-au@acme.example\n    role: workspace_admin\n"
        f"  - user: {NEW_HIRE}\n    role: workspace_reader\n",
    )
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "drop marketing, analyst off us-analytics, new hire", env=PINNED)
    return ["--repo", "repo", "--ref", "feature", "--path", "config", "--embedded"]


def facts(plan: dict[str, object]) -> dict[str, object]:
    """What a reviewer approves: the changes apply makes, the ones it will not, the grants that
    wait, the refusals."""
    changes = plan["changes"]
    assert isinstance(changes, list)
    return {
        "apply": sorted(
            (c["action"], c["kind"], c["name"]) for c in changes if c["blocked"] is None
        ),
        "blocked": sorted((b["action"], b["name"], b["reason"]) for b in plan["blocked"]),  # type: ignore[attr-defined]
        "pending": sorted((p["user"], p["workspace"]) for p in plan["pending"]),  # type: ignore[attr-defined]
        "refusals": plan["refusals"],
    }


def plan_json(cli: Cli, *argv: str) -> dict[str, object]:
    result = cli("plan", *argv, "--output", "json")
    document: dict[str, object] = json.loads(result.out)
    return document


def workspaces(cli: Cli) -> list[str]:
    async def go() -> list[str]:
        async with cli.api() as client:
            return sorted(w["name"] for w in await client.list_workspaces())

    return asyncio.run(go())


def changes_shown(text: str) -> list[str]:
    """A text plan without its footer (the API call count differs between runs)."""
    lines = text.splitlines()
    return lines[: next(i for i, line in enumerate(lines) if line.startswith("Plan: "))]


def test_apply_of_the_pull_request_plan_does_exactly_what_it_showed(cli: Cli) -> None:
    head = open_pull_request(cli)
    shown = cli(
        "plan", *head, "--prune", "--base", "main", "--output", "markdown", "--out", "p.json"
    )
    assert shown.code == 0  # green: nothing refused
    reviewed = json.loads((cli.root / "p.json").read_text())
    revoke = "workspace:us-analytics/analyst@acme.example"
    assert facts(reviewed) == {
        "apply": [("delete", "workspace", "marketing-eu")],
        "blocked": [
            (
                "delete",
                revoke,
                "pruning of permissions is off (organization prune policy); to delete, set "
                "prune.permissions: true in the Organization",
            )
        ],
        "pending": [(NEW_HIRE, "au-analytics")],
        "refusals": [],
    }
    # The pull-request comment says all three.
    comment = shown.out.splitlines()
    assert "- workspace marketing-eu" in comment
    assert (
        "- revoke analyst@acme.example in workspace us-analytics: pruning of permissions is off "
        "(organization prune policy); to delete, set prune.permissions: true in the Organization"
    ) in comment
    assert (
        f"- grant {NEW_HIRE} workspace_reader in workspace au-analytics: no such user yet: the "
        "grant waits until they sign in"
    ) in comment

    as_text = cli("plan", *head, "--prune")
    done = cli("apply", "p.json")  # the merge job: no planning flags, the plan has them
    lines = done.body.splitlines()
    # Apply shows the reviewed plan, makes its one change, and names what it did not do.
    assert changes_shown(done.body) == changes_shown(as_text.body)
    assert (
        lines[-1] == "Apply incomplete: 1 applied; 1 blocked, 1 pending (not done, listed above)."
    )
    not_done = lines[lines.index("Not done:") + 1 : -1]
    # ... the same blocked change and pending grant the pull-request comment listed.
    assert not_done == [
        "  blocked: revoke analyst@acme.example in workspace us-analytics: pruning of "
        "permissions is off (organization prune policy); to delete, set prune.permissions: "
        "true in the Organization",
        f"  pending: grant {NEW_HIRE} workspace_reader in workspace au-analytics: no such user "
        "yet: the grant waits until they sign in",
    ]
    assert done.code == 1  # not everything the config says is done
    # Exactly the plan's changes were made: what is left is what the plan said apply leaves.
    after = plan_json(cli, *head, "--prune")
    assert facts(after) == {**facts(reviewed), "apply": []}
    assert workspaces(cli) == ["au-analytics", "us-analytics"]


def test_apply_of_a_refused_pull_request_plan_refuses_with_the_plan_s_reason(cli: Cli) -> None:
    head = open_pull_request(cli)
    shown = cli("plan", *head, "--prune", "--max-deletes", "0", "--out", "p.json")
    assert shown.code == 1  # the PR check is red, and the plan says why
    reviewed = json.loads((cli.root / "p.json").read_text())
    (reason,) = reviewed["refusals"]
    assert reason.startswith("the plan deletes 1 objects, more than --max-deletes 0; ")
    assert reason in shown.out
    before = cli.dump()
    refused = cli("apply", "p.json")
    assert refused.code == 1
    assert refused.err == f"error: apply refused:\n  {reason}\n"
    assert cli.dump() == before  # nothing changed
    # Raising the cap at apply time is not what was reviewed: refused too, naming the flag.
    raised = cli("apply", "p.json", "--max-deletes", "5")
    assert raised.code == 1
    assert raised.err.startswith(
        "error: refusing the saved plan: --max-deletes 5 contradicts the plan, made with "
        "--max-deletes 0. "
    )
    assert cli.dump() == before
