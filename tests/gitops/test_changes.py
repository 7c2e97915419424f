"""Which documents a pull request changed, end to end from real branches, and unexplained drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.errors import GitError
from reconciler.gitops.changes import DocumentChange, changed_documents, unexplained_drift
from reconciler.gitops.config import load_commit, load_ref, pull_request
from reconciler.gitops.repo import open_source

from .gitrepos import CONFIG, ORGANIZATION, Remote, dataplane, workspace


def test_pull_request_branch_off_main_lists_each_changed_document(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit(CONFIG, "initial config")
    remote.push("main")
    remote.branch("pr")
    pr = remote.commit(
        {
            # added: a workspace, in a new file
            "config/workspaces/research.yaml": workspace("research", "au-east", jurisdiction="AU"),
            # changed: a data plane's chart version
            "config/dataplanes/us.yaml": dataplane("us-1", "us-east", chart="1.9.0"),
            # removed: the AU region (with its data plane and workspace moved off it)
            "config/regions.yaml": "apiVersion: flexctl/v1\nkind: Region\nname: us-east\n"
            "jurisdiction: US\n",
            "config/dataplanes/au.yml": None,
            # layout only: comments and key order are not changes
            "config/organization.yaml": "# the organisation\n"
            + ORGANIZATION.replace("name: acme\n", "").replace(
                "kind: Organization\n", "kind: Organization\nname: acme  # ours\n"
            ),
        },
        "research workspace, newer chart, drop AU",
    )
    remote.commit(
        {"config/workspaces/research.yaml": workspace("research", "us-east", jurisdiction="US")},
        "fix",
    )
    remote.push("pr")
    remote.switch("main")
    # main moves on after the branch: its own change is not the pull request's
    remote.commit({"config/workspaces/marketing.yaml": workspace("marketing", "US")}, "main moved")
    remote.push("main")

    with open_source(remote.url, cache_dir=tmp_path) as source:
        source.fetch()
        found = pull_request(source, base="main", head="pr")
    short = found.head.commit.short_sha
    assert found.head.commit.sha != pr  # the head of the branch, one more commit
    assert found.changes == (
        DocumentChange(
            "Region", "au-east", "removed", f"{found.base.short_sha}:config/regions.yaml"
        ),
        DocumentChange(
            "DataPlane",
            "au-east/au-1",
            "removed",
            f"{found.base.short_sha}:config/dataplanes/au.yml",
        ),
        DocumentChange(
            "DataPlane", "us-east/us-1", "changed", f"{short}:config/dataplanes/us.yaml"
        ),
        DocumentChange(
            "Workspace", "research", "added", f"{short}:config/workspaces/research.yaml"
        ),
    )
    assert [c.as_json()["status"] for c in found.changes] == [
        "removed",
        "removed",
        "changed",
        "added",
    ]


def test_pull_request_that_creates_the_config(remote: Remote, tmp_path: Path) -> None:
    remote.commit({"README.md": "# empty\n"}, "empty repository")
    remote.branch("pr")
    remote.commit(CONFIG, "first config")
    with open_source(str(remote.work_path), cache_dir=tmp_path) as source:
        found = pull_request(source, base="main", head="pr", subdir="config")
    assert {c.status for c in found.changes} == {"added"}
    assert len(found.changes) == 7


def test_load_ref_names_files_with_the_commit(remote: Remote, tmp_path: Path) -> None:
    sha = remote.commit(CONFIG, "initial config")
    bad = remote.commit(
        {
            "config/regions.yaml": "apiVersion: flexctl/v1\nkind: Region\nname: x\n",
            "docs/README.md": "# docs\n",
        },
        "bad",
    )
    remote.push("main")
    loaded = load_ref(remote.url, sha, cache_dir=tmp_path)
    assert loaded.commit.sha == sha
    assert [r.name for r in loaded.state.regions] == ["au-east", "us-east"]
    assert (
        loaded.state.source("Region", "us-east").position.path == f"{sha[:12]}:config/regions.yaml"
    )
    with pytest.raises(ConfigError) as caught:
        load_ref(remote.url, "main", cache_dir=tmp_path, subdir="config")
    assert all(d.position.path.startswith(f"{bad[:12]}:config/") for d in caught.value.diagnostics)
    with pytest.raises(ConfigError) as empty:
        load_ref(remote.url, "main", cache_dir=tmp_path, subdir="docs")
    assert empty.value.render() == (
        f"{bad[:12]}:docs: error: no *.yaml or *.yml files at this commit\n1 error(s)"
    )
    with pytest.raises(GitError, match="path 'nowhere' not found in commit"):
        load_ref(remote.url, "main", cache_dir=tmp_path, subdir="nowhere")


def test_unexplained_drift_is_live_drift_on_documents_the_pull_request_left_alone() -> None:
    changed = [
        DocumentChange("Region", "us-east", "changed", "a:regions.yaml"),
        DocumentChange("Workspace", "research", "added", "a:ws.yaml"),
    ]
    drifted = [
        ("Workspace", "marketing"),
        ("Region", "us-east"),
        ("DataPlane", "au-east/au-1"),
        ("Workspace", "marketing"),
    ]
    assert unexplained_drift(changed, drifted) == [
        ("DataPlane", "au-east/au-1"),
        ("Workspace", "marketing"),
    ]


def test_identical_states_have_no_changes(remote: Remote, tmp_path: Path) -> None:
    remote.commit(CONFIG, "initial config")
    with open_source(str(remote.work_path), cache_dir=tmp_path) as source:
        state = load_commit(source, source.resolve("main"))
    assert changed_documents(state, state) == []
