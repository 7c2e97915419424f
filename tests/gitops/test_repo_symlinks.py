"""Symbolic links in a config read from Git (issue 17 item 5): followed only inside the
config root, as in a directory; a link out of it, to nothing or round in a loop is an error
naming the link, and the command changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.config.diagnostics import ConfigError
from reconciler.gitops.repo import open_source

from .gitrepos import CONFIG, Remote

OUTSIDE = (
    "symbolic link to a path outside the config directory: refused (copy it into the config, "
    "or link to a path inside it)"
)


def _link(remote: Remote, target: str, link: str) -> None:
    path = remote.work_path / link
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def _read(remote: Remote, sha: str, subdir: str, tmp_path: Path) -> dict[str, bytes]:
    with open_source(str(remote.bare_path), cache_dir=tmp_path / "cache") as source:
        return {f.display_path: f.data for f in source.files_at(sha, subdir)}


def _problems(remote: Remote, sha: str, subdir: str, tmp_path: Path) -> str:
    with (
        open_source(str(remote.bare_path), cache_dir=tmp_path / "cache") as source,
        pytest.raises(ConfigError) as caught,
    ):
        source.files_at(sha, subdir)
    return caught.value.render()


def test_links_inside_the_root_are_followed_and_nothing_is_read_twice(
    remote: Remote, tmp_path: Path
) -> None:
    files = {k: v for k, v in CONFIG.items() if k != "config/regions.yaml"}
    files["config/.shared/regions.yaml"] = CONFIG["config/regions.yaml"]
    remote.commit(files, "config with a hidden shared folder")
    _link(remote, ".shared/regions.yaml", "config/regions.yaml")  # into a hidden folder
    _link(remote, "organization.yaml", "config/also-the-org.yaml")  # read at its own path
    _link(remote, "workspaces", "config/ws")  # a folder read anyway
    _link(remote, "../config/.shared", "config/shared-again")  # a hidden folder, linked
    sha = remote.commit({}, "links")
    remote.push("main")
    short = sha[:12]
    read = _read(remote, sha, "config", tmp_path)
    assert sorted(read) == [
        f"{short}:config/dataplanes/au.yml",
        f"{short}:config/dataplanes/us.yaml",
        f"{short}:config/organization.yaml",
        f"{short}:config/regions.yaml",  # under the link's name, once
        f"{short}:config/workspaces/marketing.yaml",
        f"{short}:config/workspaces/us-data.yaml",
    ]
    assert read[f"{short}:config/regions.yaml"] == CONFIG["config/regions.yaml"].encode()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../../secrets/token.yaml", OUTSIDE),  # inside the repository, outside the config root
        ("/etc/hostname", OUTSIDE),
        ("../../../outside.yaml", OUTSIDE),  # past the repository
        ("missing.yaml", "symbolic link to nothing (its target does not exist in this commit)"),
        ("loop.yaml", "symbolic link loop (more than 40 links)"),
    ],
)
def test_a_link_that_leads_out_or_nowhere_is_an_error_naming_it(
    remote: Remote, tmp_path: Path, target: str, message: str
) -> None:
    remote.commit({**CONFIG, "secrets/token.yaml": "token: CANARY-LINKED-SECRET\n"}, "config")
    _link(remote, target if target != "loop.yaml" else "loop.yaml", "config/workspaces/x.yaml")
    if target == "loop.yaml":
        _link(remote, "x.yaml", "config/workspaces/loop.yaml")
    sha = remote.commit({}, "a bad link")
    remote.push("main")
    rendered = _problems(remote, sha, "config", tmp_path)
    assert f"{sha[:12]}:config/workspaces/x.yaml: error: {message}" in rendered
    assert "CANARY-LINKED-SECRET" not in rendered


def test_a_folder_link_out_of_the_root_fails_plan_with_exit_1_and_no_traceback(
    remote: Remote, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote.commit({**CONFIG, "elsewhere/workspaces/w.yaml": "kind: Workspace\n"}, "config")
    _link(remote, "../elsewhere/workspaces", "config/more")
    sha = remote.commit({}, "link a folder outside")
    remote.push("main")
    argv = ["plan", "--embedded", "--repo", remote.url, "--ref", "main", "--path", "config"]
    code = main([*argv, "--state-dir", str(tmp_path / "state")])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{sha[:12]}:config/more: error: {OUTSIDE}" in out + err
    assert "Traceback" not in out + err
