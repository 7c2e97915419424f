"""Config discovery (issue 12 item 9): ``.flexctlignore``, flexctl's own output folders, and
the one error for a directory that is not a flexctl config. Real files, and real commits for
the Git reader (the same rules, ``.flexctlignore`` read from the commit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest

from reconciler.config import ignore
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory, load_sources
from reconciler.gitops.repo import open_source
from reconciler.render.render import MARKER_FILE, marker_text
from reconciler.statedir import StateDir

from .conftest import EXAMPLE

HELM_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  chart: {{spec: {{chart: airbyte-data-plane}}}}
"""


def helm_folder(root: Path, count: int = 4) -> None:
    for n in range(count):
        path = root / "fleet" / f"dp-{n}" / "helmrelease.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HELM_RELEASE.format(name=f"dp-{n}"))


def errors(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_directory(root)
    return [d.render() for d in caught.value.diagnostics]


def test_a_flexctlignore_pattern_excludes_a_folder_of_helm_releases(example_copy: Path) -> None:
    helm_folder(example_copy)
    # Without the ignore file each HelmRelease is an error ...
    assert errors(example_copy) == [
        f"{example_copy}/fleet/dp-{n}/helmrelease.yaml:2:7: error: unknown kind 'HelmRelease' "
        "(one of DataPlane, Group, Organization, Region, Workspace)"
        for n in range(4)
    ]
    # ... with it, the folder is not config.
    (example_copy / ".flexctlignore").write_text("# rendered by CI\nfleet/\n")
    plain = load_directory(Path(shutil.copytree(EXAMPLE, example_copy.parent / "plain")))
    assert load_directory(example_copy).digest == plain.digest


def test_flexctlignore_matches_files_and_negations_like_git(example_copy: Path) -> None:
    (example_copy / "ci.yaml").write_text("on: push\njobs: {}\n")
    (example_copy / "notes").mkdir()
    (example_copy / "notes" / "keep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    (example_copy / ".flexctlignore").write_text("/ci.yaml\nnotes/\n!notes/keep.yaml\n")
    # A file under an ignored folder cannot be brought back (as in Git): nothing is read.
    assert load_directory(example_copy).organization.name == "acme"
    (example_copy / ".flexctlignore").write_text("/ci.yaml\nnotes/*\n!notes/keep.yaml\n")
    assert errors(example_copy) == [
        f"{example_copy}/notes/keep.yaml:2:7: error: unknown kind 'ConfigMap' "
        "(one of DataPlane, Group, Organization, Region, Workspace)"
    ]


def test_a_rendered_folder_inside_the_config_is_skipped_by_its_marker(example_copy: Path) -> None:
    helm_folder(example_copy)
    for folder in (example_copy / "fleet").iterdir():
        (folder / MARKER_FILE).write_text(marker_text("aws-us-east-1/x", ["helmrelease.yaml"]))
    assert load_directory(example_copy).organization.name == "acme"


def test_a_state_directory_inside_the_config_is_skipped_by_its_gitignore(
    example_copy: Path,
) -> None:
    state = StateDir(example_copy / "state").ensure()
    secret = state.subdir("credentials") / "dp.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nstringData: {clientSecret: CANARY-s3cr3t}\n")
    assert load_directory(example_copy).organization.name == "acme"


def test_the_run_s_own_folders_are_excluded_even_before_they_hold_a_marker(
    example_copy: Path,
) -> None:
    helm_folder(example_copy)
    assert load_directory(example_copy, exclude=[example_copy / "fleet"]).organization.name == (
        "acme"
    )


def test_the_markers_are_the_ones_render_and_the_state_directory_write(tmp_path: Path) -> None:
    assert ignore.RENDER_MARKER_FILE == MARKER_FILE
    text = marker_text("r/dp", ["values.yaml"]).encode()
    assert ignore.is_output_marker(MARKER_FILE, text)
    state = StateDir(tmp_path / "s").ensure()
    head = (state.root / ignore.STATE_MARKER_FILE).read_bytes()
    assert ignore.is_output_marker(ignore.STATE_MARKER_FILE, head)
    assert not ignore.is_output_marker(ignore.STATE_MARKER_FILE, b"*.pyc\n")


def test_a_directory_of_other_yaml_fails_fast_with_one_error(tmp_path: Path) -> None:
    for n in range(40):
        (tmp_path / f"manifest-{n:02}.yaml").write_text(HELM_RELEASE.format(name=n))
    assert errors(tmp_path) == [
        f"{tmp_path}: error: no flexctl config here (no Organization document): 40 of the 40 "
        "YAML files hold no flexctl document (apiVersion: flexctl/v1), e.g. "
        f"{tmp_path}/manifest-00.yaml, {tmp_path}/manifest-01.yaml, "
        f"{tmp_path}/manifest-02.yaml and 37 more; run flexctl on the config directory, or "
        "list what is not config in .flexctlignore"
    ]


def test_stray_files_beside_an_organization_are_reported_one_by_one(example_copy: Path) -> None:
    helm_folder(example_copy, count=10)
    assert len(errors(example_copy)) == 10  # a config with strays: each stray is an error


# --------------------------------------------------------------------------- Git


def commit_tree(root: Path, files: dict[str, str]) -> tuple[git.Repo, str]:
    repo = git.Repo.init(root, initial_branch="main")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repo.git.add("-A", "-f")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_AUTHOR_DATE": "1704067200 +0000",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_DATE": "1704067200 +0000",
    }
    repo.git.commit("-q", "-m", "config", env=env)
    return repo, repo.head.commit.hexsha


def example_in(prefix: str) -> dict[str, str]:
    return {f"{prefix}{p.relative_to(EXAMPLE)}": p.read_text() for p in EXAMPLE.rglob("*.yaml")}


def test_a_commit_is_read_with_its_own_flexctlignore_and_markers(tmp_path: Path) -> None:
    files = example_in("cfg/")
    for n in range(3):
        files[f"cfg/helm/r{n}.yaml"] = HELM_RELEASE.format(name=n)
        files[f"cfg/fleet/dp{n}/helmrelease.yaml"] = HELM_RELEASE.format(name=n)
        files[f"cfg/fleet/dp{n}/{MARKER_FILE}"] = marker_text("r/dp", ["helmrelease.yaml"])
    files["cfg/.flexctlignore"] = "helm/\n"
    files["helm/outside.yaml"] = HELM_RELEASE.format(name="outside")  # not under cfg/
    _, sha = commit_tree(tmp_path / "repo", files)
    with open_source(str(tmp_path / "repo"), cache_dir=tmp_path / "cache") as source:
        read = source.files_at(sha, "cfg")
        everything = source.files_at(sha)
    shown = sorted(f.display_path.split(":", 1)[1] for f in read)
    assert shown == sorted(f"cfg/{p.relative_to(EXAMPLE)}" for p in EXAMPLE.rglob("*.yaml"))
    assert load_sources(read).organization.name == "acme"
    # From the repository root there is no .flexctlignore: cfg/helm is read, fleet/ is not.
    root_paths = {f.display_path.split(":", 1)[1] for f in everything}
    assert {"cfg/helm/r0.yaml", "helm/outside.yaml"} <= root_paths
    assert not any("/fleet/" in p for p in root_paths)


def test_a_bad_flexctlignore_in_a_commit_names_its_line(tmp_path: Path) -> None:
    files = example_in("")
    files[".flexctlignore"] = "helm/\n!\n"
    _, sha = commit_tree(tmp_path / "repo", files)
    with (
        open_source(str(tmp_path / "repo"), cache_dir=tmp_path / "cache") as source,
        pytest.raises(ConfigError) as caught,
    ):
        source.files_at(sha)
    assert caught.value.render() == (
        f"{sha[:12]}:.flexctlignore:2:1: error: invalid pattern '!': a '!' needs a pattern "
        "after it\n1 error(s)"
    )
