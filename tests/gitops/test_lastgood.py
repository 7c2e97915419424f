"""Choosing a cycle's commit: fetch failures and unreadable refs fall back; force-pushes warn."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.errors import GitError
from reconciler.gitops.lastgood import LastGoodStore, Selection, select_commit
from reconciler.gitops.repo import open_source

from .gitrepos import CONFIG, Remote


@pytest.fixture
def store(tmp_path: Path) -> LastGoodStore:
    return LastGoodStore(tmp_path / "state" / "git" / "lastgood.json")


def test_fast_forward_uses_the_new_commit_without_warning(
    remote: Remote, tmp_path: Path, store: LastGoodStore
) -> None:
    remote.commit(CONFIG, "initial config")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path / "cache") as source:
        first = select_commit(source, "main", store)
        store.remember("main", first.commit)
        newer = remote.commit({"config/extra.yaml": "a: 1\n"}, "more")
        remote.push("main")
        assert select_commit(source, "main", store) == Selection(commit=source.resolve(newer))


def test_unreachable_remote_keeps_the_last_good_commit(
    remote: Remote, tmp_path: Path, store: LastGoodStore
) -> None:
    good = remote.commit(CONFIG, "initial config")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path / "cache") as source:
        store.remember("main", select_commit(source, "main", store).commit)
        shutil.rmtree(remote.bare_path)
        chosen = select_commit(source, "main", store)
    assert chosen.commit.sha == good
    assert chosen.fetch_failed
    assert chosen.warnings == (
        f"fetch failed, using last good {good[:12]}: cannot fetch {remote.url}: "
        f"'{remote.bare_path}' does not appear to be a git repository",
    )
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_unreachable_remote_without_a_last_good_commit_is_an_error(
    tmp_path: Path, store: LastGoodStore
) -> None:
    with (
        open_source("file:///nonexistent", cache_dir=tmp_path) as source,
        pytest.raises(GitError) as caught,
    ):
        select_commit(source, "main", store)
    assert str(caught.value) == (
        "cannot fetch file:///nonexistent: '/nonexistent' does not appear to be a git "
        "repository (and no last good commit of ref main to fall back to)"
    )


def test_force_push_warns_and_proceeds_with_the_new_commit(
    remote: Remote, tmp_path: Path, store: LastGoodStore
) -> None:
    remote.commit(CONFIG, "initial config")
    old = remote.commit({"config/extra.yaml": "a: 1\n"}, "to be rewritten")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path / "cache") as source:
        store.remember("main", select_commit(source, "main", store).commit)
        remote.work.git.reset("-q", "--hard", "HEAD~1")
        new = remote.commit({"config/other.yaml": "b: 2\n"}, "rewritten")
        remote.push("main", force=True)
        chosen = select_commit(source, "main", store)
    assert chosen.commit.sha == new
    assert chosen.warnings == (
        f"ref main was force-pushed: {old[:12]} is not an ancestor of {new[:12]}",
    )
    assert not chosen.fetch_failed


def test_a_ref_that_no_longer_resolves_keeps_the_last_good_commit(
    remote: Remote, tmp_path: Path, store: LastGoodStore
) -> None:
    remote.commit(CONFIG, "initial config")
    remote.branch("release")
    good = remote.commit({}, "release")
    remote.push("release")
    with open_source(remote.url, cache_dir=tmp_path / "cache") as source:
        store.remember("release", select_commit(source, "release", store).commit)
        remote.push(":release")
        chosen = select_commit(source, "release", store)
    assert chosen.commit.sha == good
    assert chosen.warnings == (
        f"{remote.url}: unknown ref 'release' (not a branch, tag or commit); "
        f"using last good {good[:12]}",
    )


def test_last_good_is_kept_per_repository_and_ref(remote: Remote, store: LastGoodStore) -> None:
    sha = remote.commit(CONFIG, "initial config")
    with open_source(str(remote.work_path), cache_dir=store.path.parent) as source:
        store.remember("main", source.resolve("main"))
        assert store.get(source.display, "main") == source.resolve(sha)
        assert store.get(source.display, "other") is None
        assert store.get("elsewhere", "main") is None
