"""Hydration against real Git: the example organisation is applied from a bare config remote
and its rendered folders are committed to a bare fleet remote, read back through clones.

merge → apply → hydrate; a no-op apply makes no commit; two concurrent hydrations both land
(one made again on top of the other); the fleet history never holds a secret; ``render
--check`` prints a unified diff; ``reconcile --mode heal --to-git`` hydrates.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from ruamel.yaml import YAML

from reconciler.errors import FlexctlError
from reconciler.gitops.hydrate import GitTarget, hydrate, make_target
from reconciler.render.delivery import public_url

from ..e2e.test_secrets import client_secrets
from .example import EXAMPLE, flexctl, sign_in_example_users
from .gitrepos import Remote

CANARY = "https://hooks.example.invalid/CANARY-hydrate-7f3a"
FOLDERS = ["aws-ap-southeast-2--ap-southeast-2-primary", "aws-us-east-1--us-east-1-primary"]


@pytest.fixture
def fleet(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("US_ANALYTICS_SLACK_WEBHOOK", CANARY)
    path = workdir / "fleet.git"
    git.Repo.init(path, bare=True, initial_branch="main").close()
    return path


def branch_head(fleet: Path, branch: str = "clusters") -> str | None:
    with git.Repo(fleet) as repo:
        try:
            return str(repo.commit(f"refs/heads/{branch}").hexsha)
        except (git.BadName, ValueError):
            return None


def checkout(fleet: Path, into: Path, branch: str = "clusters") -> Path:
    git.Repo.clone_from(str(fleet), into, branch=branch).close()
    return into


def load(path: Path) -> dict[str, object]:
    doc: dict[str, object] = YAML(typ="safe", pure=True).load(path.read_text())
    return doc


def apply(url: str, fleet: Path, *extra: str) -> int:
    return flexctl(
        "apply", "--repo", url, "--ref", "main", "--yes",
        "--to-git", str(fleet), "--branch", "clusters", "--to-git-path", "fleet", *extra,
    )  # fmt: skip


def test_merge_apply_hydrate_then_no_op(
    example_remote: Remote, fleet: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_in_example_users()  # else apply exits 1 naming their grants as not done
    assert apply(example_remote.url, fleet) == 0
    first = branch_head(fleet)
    assert first is not None
    clone = checkout(fleet, workdir / "fleet-clone")
    folders = sorted(p.name for p in (clone / "fleet").iterdir())
    assert folders == FOLDERS
    for folder in folders:
        where = clone / "fleet" / folder
        repository = load(where / "gitrepository.yaml")
        sync = load(where / "sync.yaml")
        assert repository["spec"] == {  # type: ignore[comparison-overlap]
            "interval": "1m",
            "ref": {"branch": "clusters"},
            "url": fleet.as_uri(),
        }
        assert sync["spec"]["path"] == f"./fleet/{folder}"  # type: ignore[index]
        resources = load(where / "kustomization.yaml")["resources"]
        assert {"gitrepository.yaml", "sync.yaml", "helmrelease.yaml"} <= set(resources)  # type: ignore[arg-type]
    with git.Repo(fleet) as repo:
        message = repo.commit(first).message
    sha = example_remote.work.head.commit.hexsha
    assert f"Source: {example_remote.url} commit {sha}\n" in message
    assert "\nPlan-Digest: sha256:" in message and "\nFolder: fleet\n" in message
    assert "\nConfig-Digest: " in message

    # A second apply with nothing to change commits nothing.
    capsys.readouterr()
    assert apply(example_remote.url, fleet) == 0
    assert branch_head(fleet) == first
    assert "up to date, nothing committed" in capsys.readouterr().out

    example_remote.commit({"workspaces/finance.yaml": (
        "apiVersion: flexctl/v1\nkind: Workspace\nname: finance\nregion: aws-us-east-1\n"
    )}, "finance")  # fmt: skip
    example_remote.push("main")
    assert apply(example_remote.url, fleet) == 0
    # A workspace does not change a data plane's folder: still no commit.
    assert branch_head(fleet) == first

    # The fleet repository's whole history holds no secret.
    secrets = [CANARY, *client_secrets(workdir / ".flexctl")]
    with git.Repo(fleet) as repo:
        objects = repo.git.rev_list("--all", "--objects").split()
        texts = [repo.git.cat_file("-p", o.split()[0]) for o in objects if len(o) == 40]
        texts.append(repo.git.log("--all", "--format=%B"))
    assert not [s for s in secrets for t in texts if s in t]


def test_two_concurrent_hydrations_both_land(fleet: Path, tmp_path: Path) -> None:
    target_a = GitTarget(url=str(fleet), branch="clusters", path="prod")
    target_b = GitTarget(url=str(fleet), branch="clusters", path="staging")
    files = {"dp--one/values.yaml": "a: 1\n"}
    landed: list[str] = []

    def other() -> None:
        if not landed:  # only before the first push of A: B lands in between
            result = hydrate(target_b, files, message="B\n", cache_dir=tmp_path / "runner-b")
            assert result.commit is not None and result.attempts == 1
            landed.append(result.commit)

    a = hydrate(target_a, files, message="A\n", cache_dir=tmp_path / "runner-a", before_push=other)
    assert a.commit is not None and a.attempts == 2  # refused once, made again on top of B
    with git.Repo(fleet) as repo:
        head = repo.commit("refs/heads/clusters")
        assert head.hexsha == a.commit and [p.hexsha for p in head.parents] == landed
        names = sorted(b.path for b in head.tree.traverse() if b.type == "blob")
    assert names == ["prod/dp--one/values.yaml", "staging/dp--one/values.yaml"]


def test_the_fleet_branch_is_never_force_pushed(fleet: Path, tmp_path: Path) -> None:
    target = GitTarget(url=str(fleet), branch="clusters")
    first = hydrate(target, {"x--y/a.yaml": "a: 1\n"}, message="one\n", cache_dir=tmp_path)
    second = hydrate(target, {"x--y/a.yaml": "a: 2\n"}, message="two\n", cache_dir=tmp_path)
    with git.Repo(fleet) as repo:
        assert first.commit is not None and second.commit is not None
        assert repo.is_ancestor(first.commit, second.commit)


def test_render_check_prints_a_unified_diff(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workdir / "rendered"
    assert flexctl("render", str(EXAMPLE), "--out", str(out)) == 0
    values = out / FOLDERS[1] / "values.yaml"
    values.write_text(values.read_text().replace("airbyteUrl:", "airbyteUrl: # edited\n  x:", 1))
    (out / FOLDERS[1] / "README.md").unlink()
    capsys.readouterr()
    assert flexctl("render", str(EXAMPLE), "--out", str(out), "--check") == 1
    printed = capsys.readouterr().out
    assert f"--- a/{FOLDERS[1]}/values.yaml\n+++ b/{FOLDERS[1]}/values.yaml\n" in printed
    assert "\n-airbyteUrl: # edited\n" in printed
    assert f"--- /dev/null\n+++ b/{FOLDERS[1]}/README.md\n" in printed


def test_render_to_git_and_check_against_the_branch(
    fleet: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("render", str(EXAMPLE), "--to-git", fleet.as_uri(), "--branch", "clusters")
    assert flexctl(*args, "--check") == 1  # no branch yet: everything is missing
    assert flexctl(*args) == 0
    assert branch_head(fleet) is not None
    capsys.readouterr()
    assert flexctl(*args, "--check") == 0
    assert "is up to date (2 data plane folder(s))" in capsys.readouterr().out


def test_reconcile_heal_hydrates_once(
    example_remote: Remote, fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("reconcile", "--repo", example_remote.url, "--once", "--mode", "heal",
            "--to-git", str(fleet), "--branch", "clusters")  # fmt: skip
    # The example's users have not signed in: their grants wait (drift), but no data plane
    # does, so the clusters get their folders.
    assert flexctl(*argv) == 0
    head = branch_head(fleet)
    out = capsys.readouterr().out
    assert head is not None and f"hydrated {head[:12]}" in out
    assert " drift at " in out
    assert flexctl(*argv) == 0
    assert branch_head(fleet) == head
    assert "hydration up to date" in capsys.readouterr().out


def test_bad_options_and_remotes_are_clear_errors(
    example_remote: Remote, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FlexctlError, match="--to-git needs --branch"):
        make_target("https://example.invalid/fleet.git", None)
    with pytest.raises(FlexctlError, match="is not a branch name"):
        make_target("https://example.invalid/fleet.git", "a..b")
    with pytest.raises(FlexctlError, match="inside the repository"):
        make_target("https://example.invalid/fleet.git", "b", "../up")
    capsys.readouterr()
    assert flexctl("render", str(EXAMPLE), "--to-git", "x") == 1
    assert "--to-git needs --branch B" in capsys.readouterr().err
    missing = "https://user:S3CRET-token@127.0.0.1:9/fleet.git"
    assert flexctl("render", str(EXAMPLE), "--to-git", missing, "--branch", "b") == 1
    err = capsys.readouterr().err
    assert "https://***@127.0.0.1:9/fleet.git" in err
    assert "S3CRET" not in err and "Traceback" not in err


def test_manifests_never_carry_the_credentials_of_the_url() -> None:
    assert public_url("https://x-access-token:gh/p@x@github.com/o/f.git") == (
        "https://github.com/o/f.git"
    )
    assert public_url("ssh://git:pw@host/o/f.git") == "ssh://git@host/o/f.git"
    assert public_url("git@github.com:o/f.git") == "ssh://git@github.com/o/f.git"


def test_argo_cd_applications_read_values_and_folder_from_the_branch(tmp_path: Path) -> None:
    import shutil

    from reconciler.config.loader import load_directory
    from reconciler.render import render_all
    from reconciler.render.delivery import GitDelivery

    config = tmp_path / "config"
    shutil.copytree(EXAMPLE, config)
    org = config / "organization.yaml"
    org.write_text(org.read_text().replace("engine: flux", "engine: argocd"))
    target = GitDelivery(url="https://git.example/fleet.git", branch="clusters", path="fleet")
    files = render_all(load_directory(config), delivery=target)  # schema-checked while rendering
    folder = FOLDERS[1]
    app = YAML(typ="safe", pure=True).load(files[f"{folder}/application.yaml"])
    assert "source" not in app["spec"]
    chart, values, manifests = app["spec"]["sources"]
    assert chart["chart"] == "airbyte-data-plane"
    assert chart["helm"]["valueFiles"] == [f"$values/fleet/{folder}/values.yaml"]
    assert "valuesObject" not in chart["helm"]
    assert values == {"repoURL": target.url, "targetRevision": "clusters", "ref": "values"}
    assert manifests == {
        "repoURL": target.url,
        "targetRevision": "clusters",
        "path": f"fleet/{folder}",
    }
    assert f"{folder}/sync.yaml" not in files  # Flux objects only for Flux
