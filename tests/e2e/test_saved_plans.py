"""Saved plans record how they were made (issue 12 item 5): ``plan --out PLAN.json`` keeps the
planning options, the config source (absolute) and the state backend; ``apply PLAN.json``
applies with them, from any working directory, and refuses a flag that contradicts them."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import git
import jsonschema
import pytest

from reconciler.core.output import plan_schema

from ..engine.harness import EXAMPLE_USERS, edit
from .conftest import Cli

US_DP = "aws-us-east-1/us-east-1-primary"
CANARY = "CANARY-repo-token-4b1d"
PINNED = {
    "GIT_AUTHOR_NAME": "flexctl-test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "1704067200 +0000",
    "GIT_COMMITTER_NAME": "flexctl-test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_DATE": "1704067200 +0000",
}


def applied(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded control plane
    cli.add_users(*EXAMPLE_USERS)
    assert cli("apply", "config", "--embedded", "--yes").code == 0


def drop_marketing(cli: Cli) -> None:
    """A config whose plan deletes one workspace, with --prune only."""
    edit(cli.config / "organization.yaml", "  workspaces: false", "  workspaces: true")
    (cli.config / "workspaces/marketing-eu.yaml").unlink()


def workspaces(cli: Cli) -> list[str]:
    async def names() -> list[str]:
        async with cli.api() as client:
            return sorted(w["name"] for w in await client.list_workspaces())

    return asyncio.run(names())


def saved(cli: Cli, name: str = "p.json") -> dict[str, object]:
    document: dict[str, object] = json.loads((cli.root / name).read_text())
    return document


def test_a_plan_made_with_prune_is_applied_with_prune_without_repeating_it(cli: Cli) -> None:
    applied(cli)
    drop_marketing(cli)
    assert cli("plan", "config", "--embedded", "--prune", "--out", "p.json").code == 0
    plan = saved(cli)
    jsonschema.Draft202012Validator(plan_schema()).validate(plan)
    assert plan["options"] == {
        "prune": True,
        "maxDeletes": 5,
        "rotate": [],
        "finishRotation": [],
        "unprotect": [],
        "allowLocalCredentials": False,
        "embedded": True,
    }
    assert plan["config"] == {"path": str(cli.config.resolve())}
    assert plan["state"] == {"url": "local", "dir": str(cli.state.resolve())}
    done = cli("apply", "p.json")  # no --prune, no --embedded: the plan says both
    assert done.code == 0, done.err
    assert "- workspace marketing-eu" in done.body.splitlines()
    assert done.body.splitlines()[-1] == "Apply complete: 1 applied."
    assert workspaces(cli) == ["au-analytics", "us-analytics"]


def test_a_flag_that_contradicts_the_plan_is_refused_and_one_that_agrees_is_accepted(
    cli: Cli,
) -> None:
    applied(cli)
    drop_marketing(cli)
    assert cli("plan", "config", "--embedded", "--prune", "--out", "p.json").code == 0
    before = cli.dump()
    refused = cli("apply", "p.json", "--no-prune", "--max-deletes", "2", "--rotate", US_DP)
    assert refused.code == 1
    assert refused.out == ""
    assert refused.err == (
        "error: refusing the saved plan: --no-prune contradicts the plan, made with --prune; "
        "--max-deletes 2 contradicts the plan, made with --max-deletes 5; "
        f"--rotate {US_DP} contradicts the plan, made with no --rotate. apply PLAN.json "
        "applies the plan as it was made: drop the flag, or make a new plan with it and "
        "review that one.\n"
    )
    assert cli.dump() == before
    agreeing = cli("apply", "p.json", "--prune", "--max-deletes", "5", "--embedded")
    assert agreeing.code == 0, agreeing.err
    assert workspaces(cli) == ["au-analytics", "us-analytics"]


def test_a_saved_plan_applies_from_another_working_directory(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("plan", "config", "--embedded")
    cli.add_users(*EXAMPLE_USERS)
    assert cli("plan", "config", "--embedded", "--out", "p.json").code == 0
    elsewhere = cli.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    done = cli("apply", "../p.json")
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == (
        f"Control plane: embedded control plane in {cli.state.resolve()} (--embedded)"
    )
    # The plan's config and state directory were used, not this directory's.
    assert sorted(p.name for p in elsewhere.iterdir()) == []
    monkeypatch.chdir(cli.root)
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def commit_config(repo_dir: Path, config: Path, *, subdir: str) -> str:
    repo = git.Repo.init(repo_dir, initial_branch="main")
    shutil.copytree(config, repo_dir / subdir)
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "config", env=PINNED)
    return str(repo.head.commit.hexsha)


def test_a_plan_of_a_relative_repo_applies_from_another_directory(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = commit_config(cli.root / "repo", cli.config, subdir="cfg")
    source = ["--repo", "repo", "--ref", "main", "--path", "cfg", "--embedded"]
    cli("plan", *source)
    cli.add_users(*EXAMPLE_USERS)
    assert cli("plan", *source, "--out", "p.json").code == 0
    assert saved(cli)["config"] == {
        "repo": str((cli.root / "repo").resolve()),
        "ref": "main",
        "commit": sha,
        "subdir": "cfg",
    }
    elsewhere = cli.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    other_path = cli("apply", "../p.json", "--path", "other")
    assert other_path.code == 1
    assert other_path.err.startswith(
        "error: refusing the saved plan: --path other contradicts the plan, made with --path cfg. "
    )
    other_repo = cli("apply", "../p.json", "--repo", str(cli.config))
    assert other_repo.err.startswith(
        f"error: refusing the saved plan: --repo {cli.config} contradicts the plan, made from "
        f"{(cli.root / 'repo').resolve()}. "
    )
    done = cli("apply", "../p.json")
    assert done.code == 0, done.err
    assert sorted(p.name for p in elsewhere.iterdir()) == []


def test_repository_credentials_are_not_saved_and_may_be_given_again(cli: Cli) -> None:
    commit_config(cli.root / "repo", cli.config, subdir="cfg")
    url = f"file://ci:{CANARY}@localhost{(cli.root / 'repo').resolve()}"
    source = ["--repo", url, "--ref", "main", "--path", "cfg", "--embedded"]
    cli("plan", *source)
    cli.add_users(*EXAMPLE_USERS)
    assert cli("plan", *source, "--out", "p.json").code == 0
    text = (cli.root / "p.json").read_text()
    assert CANARY not in text
    assert saved(cli)["config"]["repo"] == f"file://***@localhost{(cli.root / 'repo').resolve()}"  # type: ignore[index]
    # The same repository with its credentials agrees with the plan (it holds it redacted).
    done = cli("apply", "p.json", "--repo", url)
    assert done.code == 0, done.err
    for printed in cli.printed:
        assert CANARY not in printed


def test_a_saved_plan_is_applied_only_with_its_state(cli: Cli) -> None:
    applied(cli)
    assert cli("plan", "config", "--embedded", "--out", "p.json").code == 0
    before = cli.dump()
    moved = cli("apply", "p.json", "--state-dir", "other")
    assert moved.code == 1
    assert moved.err == (
        "error: refusing the saved plan: --state-dir other contradicts the plan, made with the "
        f"state directory {cli.state.resolve()} (its state is local: it lives there). apply "
        "PLAN.json applies the plan as it was made: drop the flag, or make a new plan with it "
        "and review that one.\n"
    )
    backend = cli("apply", "p.json", "--state", "elsewhere-state")
    assert backend.code == 1
    assert backend.err == (
        "error: refusing the saved plan: it was made with the state local, this run uses "
        f"{(cli.root / 'elsewhere-state').resolve()} (--state). Apply it with the state it was "
        "made with.\n"
    )
    assert cli.dump() == before
    same = cli("apply", "p.json", "--state-dir", str(cli.state))  # the same, spelled otherwise
    assert same.code == 0, same.err


def test_a_plan_saved_by_an_older_flexctl_is_refused_clearly(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded", "--out", "p.json").code == 0
    old = saved(cli)
    for key in ("options", "config", "state"):
        del old[key]
    old["formatVersion"] = 2
    (cli.root / "p.json").write_text(json.dumps(old))
    before = cli.dump()
    refused = cli("apply", "p.json")
    assert refused.code == 1
    assert refused.err == (
        "error: p.json: saved by an older flexctl (plan formatVersion 2), which did not record "
        "the options the plan was made with (--prune, --max-deletes, ...); make the plan again "
        "with this flexctl: flexctl plan ... --out p.json\n"
    )
    assert cli.dump() == before


def test_a_directory_plan_takes_no_repository_and_a_newer_plan_is_refused(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded", "--out", "p.json").code == 0
    where = cli.config.resolve()
    refused = cli("apply", "p.json", "--repo", "config", "--ref", "main")
    assert refused.code == 1
    assert refused.err.startswith(
        f"error: refusing the saved plan: --repo contradicts the plan, made from the directory "
        f"{where}; --ref main contradicts the plan, made from the directory {where}. "
    )
    newer = saved(cli)
    newer["formatVersion"] = 99
    (cli.root / "p.json").write_text(json.dumps(newer))
    assert cli("apply", "p.json").err == (
        "error: p.json: saved by a newer flexctl (plan formatVersion 99; this one reads 3): "
        "apply it with the flexctl that made it\n"
    )
