"""Reading config documents from commits: in place, from a mirror, by branch, tag and SHA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config.sources import MAX_FILE_BYTES
from reconciler.errors import GitError
from reconciler.gitops.repo import GitSource, open_source, redact

from .gitrepos import CONFIG, Remote


def _paths(source: GitSource, sha: str, subdir: str = "") -> list[str]:
    return [f.display_path for f in source.files_at(sha, subdir)]


def test_reads_yaml_blobs_of_a_bare_repository_in_place(remote: Remote, tmp_path: Path) -> None:
    files = dict(CONFIG)
    files[".github/workflow.yaml"] = "on: push\n"  # hidden folder: not config
    files["config/.hidden/x.yaml"] = "kind: Region\n"
    sha = remote.commit(files, "initial config")
    os.symlink("organization.yaml", remote.work_path / "config" / "link.yaml")
    remote.work.git.add("config/link.yaml")
    sha = remote.commit({}, "add a symlink")
    remote.push("main")

    with open_source(str(remote.bare_path), cache_dir=tmp_path / "cache") as source:
        assert not source.mirrored
        short = sha[:12]
        assert _paths(source, sha) == [
            f"{short}:config/dataplanes/au.yml",
            f"{short}:config/dataplanes/us.yaml",
            f"{short}:config/organization.yaml",
            f"{short}:config/regions.yaml",
            f"{short}:config/workspaces/marketing.yaml",
            f"{short}:config/workspaces/us-data.yaml",
        ]
        assert _paths(source, sha, "config/workspaces/") == [
            f"{short}:config/workspaces/marketing.yaml",
            f"{short}:config/workspaces/us-data.yaml",
        ]
        by_path = {f.display_path: f.data for f in source.files_at(sha)}
        assert by_path[f"{short}:config/regions.yaml"] == CONFIG["config/regions.yaml"].encode()
    assert not (tmp_path / "cache").exists()  # read in place: no mirror


def test_a_file_over_the_cap_is_cut_so_the_loader_can_report_it(
    remote: Remote, tmp_path: Path
) -> None:
    sha = remote.commit({"big.yaml": "#" * (MAX_FILE_BYTES + 100)}, "too big")
    with open_source(str(remote.work_path), cache_dir=tmp_path) as source:
        [big] = source.files_at(sha)
    assert len(big.data) == MAX_FILE_BYTES + 1


def test_missing_subdir_names_repo_path_and_commit(remote: Remote, tmp_path: Path) -> None:
    sha = remote.commit(CONFIG, "initial config")
    with open_source(str(remote.work_path), cache_dir=tmp_path) as source:
        with pytest.raises(GitError) as caught:
            source.files_at(sha, "nowhere")
        assert (
            str(caught.value)
            == f"{remote.work_path}: path 'nowhere' not found in commit {sha[:12]}"
        )
        with pytest.raises(GitError) as caught:
            source.files_at(sha, "README.md")
        assert (
            str(caught.value)
            == f"{remote.work_path}: 'README.md' is not a folder in commit {sha[:12]}"
        )


def test_mirror_resolves_branches_tags_and_shas(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit(CONFIG, "initial config")
    remote.work.create_tag("v1", message="release 1")  # annotated: must peel to the commit
    second = remote.commit({"config/regions.yaml": None}, "drop regions\n\nlong text")
    remote.push("main", "v1")
    cache = tmp_path / "state" / "git"

    with open_source(remote.url, cache_dir=cache) as source:
        assert source.mirrored
        source.fetch()
        info = source.resolve("main")
        assert info.sha == second
        assert info.as_json() == {
            "sha": second,
            "shortSha": second[:12],
            "authorName": "flexctl-test",
            "authorEmail": "test@example.invalid",
            "authoredAt": "2024-01-01T00:02:00+00:00",
            "summary": "drop regions",
            "repo": remote.url,
        }
        assert source.resolve("refs/heads/main").sha == second
        assert source.resolve("origin/main").sha == second
        assert source.resolve("v1").sha == first
        assert source.resolve(first[:10]).sha == first
        assert len(source.files_at(first)) == 6
        assert len(source.files_at(second)) == 5
    [mirror] = [p for p in cache.iterdir() if p.is_dir()]
    assert (mirror / "HEAD").is_file() and not (mirror / "README.md").exists()  # bare


def test_unknown_ref_names_repo_and_ref(remote: Remote, tmp_path: Path) -> None:
    remote.commit(CONFIG, "initial config")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path) as source:
        source.fetch()
        for ref in ("nope", "--upload-pack=evil", "0" * 40):
            with pytest.raises(GitError) as caught:
                source.resolve(ref)
            assert str(caught.value) == (
                f"{remote.url}: unknown ref {ref!r} (not a branch, tag or commit)"
            )


def test_fetch_prunes_deleted_branches_and_accepts_force_pushes(
    remote: Remote, tmp_path: Path
) -> None:
    remote.commit(CONFIG, "initial config")
    remote.branch("feature")
    remote.commit({"config/regions.yaml": None}, "feature work")
    remote.push("main", "feature")
    with open_source(remote.url, cache_dir=tmp_path) as source:
        source.fetch()
        source.resolve("feature")
        remote.push(":feature")
        remote.switch("main")
        remote.work.git.reset("--hard", "-q", "HEAD")
        rewritten = remote.commit({"config/extra.yaml": "a: 1\n"}, "rewritten")
        remote.work.git.reset("-q", "--soft", "HEAD~1")
        rewritten = remote.commit({}, "rewritten again")
        remote.push("main", force=True)
        source.fetch()
        assert source.resolve("main").sha == rewritten
        with pytest.raises(GitError, match="unknown ref 'feature'"):
            source.resolve("feature")


def test_mirror_of_the_same_url_is_reused(remote: Remote, tmp_path: Path) -> None:
    first = remote.commit(CONFIG, "initial config")
    remote.push("main")
    with open_source(remote.url, cache_dir=tmp_path) as source:
        source.fetch()
    with open_source(remote.url, cache_dir=tmp_path) as again:
        assert again.resolve("main").sha == first  # no fetch needed: the mirror kept it


def test_unreachable_remote_is_a_clear_error(tmp_path: Path) -> None:
    with (
        open_source("file:///nonexistent/config.git", cache_dir=tmp_path) as source,
        pytest.raises(GitError) as caught,
    ):
        source.fetch()
    assert str(caught.value) == (
        "cannot fetch file:///nonexistent/config.git: "
        "'/nonexistent/config.git' does not appear to be a git repository"
    )


def test_credentials_in_a_url_never_appear_in_messages(tmp_path: Path) -> None:
    url = "http://robot:s3cr3t-token@127.0.0.1:9/org/config.git"
    with open_source(url, cache_dir=tmp_path) as source:
        assert source.display == "http://***@127.0.0.1:9/org/config.git"
        with pytest.raises(GitError) as caught:
            source.fetch()
        with pytest.raises(GitError) as unknown:
            source.resolve("main")
    for message in (str(caught.value), str(unknown.value)):
        assert "s3cr3t" not in message and "robot" not in message
        assert "http://***@127.0.0.1:9/org/config.git" in message
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"s3cr3t" not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://user:token@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("https://ghp_abc@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("ssh://git@host/r.git", "ssh://***@host/r.git"),
        ("/srv/config.git", "/srv/config.git"),
        (
            "failed: https://a:b@h/x and https://c@h/y",
            "failed: https://***@h/x and https://***@h/y",
        ),
        # A malformed password: "/" and "@" unencoded. Nothing of it may show.
        ("https://user:SECRET/PART@host/o/r.git", "https://***@host/o/r.git"),
        ("https://user:SE@CRET@host/o/r.git", "https://***@host/o/r.git"),
        ("'https://u:SECRET/PART@host/r' not found", "'https://***@host/r' not found"),
    ],
)
def test_redact(given: str, shown: str) -> None:
    assert redact(given) == shown


def test_local_path_that_is_not_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError) as caught:
        open_source(str(plain), cache_dir=tmp_path)
    assert str(caught.value) == f"{plain}: not a Git repository"
    with pytest.raises(GitError, match=r"^/no/such/dir: no such directory \(and not a URL\)$"):
        open_source("/no/such/dir", cache_dir=tmp_path)


def test_merge_base_and_ancestry(remote: Remote, tmp_path: Path) -> None:
    base = remote.commit(CONFIG, "initial config")
    remote.branch("pr")
    head = remote.commit({"config/regions.yaml": None}, "pr work")
    remote.switch("main")
    main = remote.commit({"config/extra.yaml": "a: 1\n"}, "main moved on")
    with open_source(str(remote.work_path), cache_dir=tmp_path) as source:
        assert source.merge_base("main", "pr") == base
        assert source.is_ancestor(base, head)
        assert not source.is_ancestor(main, head)
        assert not source.is_ancestor("f" * 40, head)
