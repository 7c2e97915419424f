"""Load the config for a command: from a directory, or from a commit of a Git repository.

``--repo URL|PATH --ref REF`` reads the documents straight from that commit (no checkout);
the commit's SHA, author and repo become the run's ``source`` (plans, audit records). Both
are recorded absolute (a directory, a repository given as a local path), so a saved plan
applies from any working directory. The run's state directory and render output are not
config: discovery skips them when they sit inside the config directory.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.desired import DesiredState
from reconciler.config.loader import load_directory, load_sources
from reconciler.config.parsecache import cache_from_env
from reconciler.statedir import StateDir


@dataclass(frozen=True)
class Loaded:
    desired: DesiredState
    source: dict[str, str]

    @property
    def base_dir(self) -> Path:
        """Where ``{file: ...}`` references resolve: the config directory (its repository
        root), wherever flexctl runs from; a config read from Git has no directory here."""
        return Path(self.source["path"]) if "path" in self.source else Path.cwd()


def add_repo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        metavar="URL|PATH",
        help="read the config from this Git repository instead of a directory",
    )
    parser.add_argument(
        "--ref", default="HEAD", help="branch, tag or commit to read with --repo (default: HEAD)"
    )
    parser.add_argument(
        "--path",
        dest="repo_path",
        default="",
        metavar="SUBDIR",
        help="folder of the config inside the repository (with --repo)",
    )


def absolute_repo(repo: str) -> str:
    """``repo`` with a local path made absolute; URLs (``scheme://``, ``git@host:``) as given."""
    if "://" in repo:
        return repo
    path = Path(repo).expanduser()
    return str(path.resolve()) if path.exists() else repo


def own_folders(args: argparse.Namespace) -> list[Path]:
    """Folders this run writes that discovery must skip: the state directory, the render
    output (``apply --render-out``; ``render --out`` folders are skipped by their marker)."""
    found = [getattr(args, "state_dir", None), getattr(args, "render_out", None)]
    return [Path(p) for p in found if p is not None]


def load_config(args: argparse.Namespace) -> Loaded:
    repo = getattr(args, "repo", None)
    if not repo:
        path = Path(args.config)
        desired = load_directory(path, exclude=own_folders(args), cache=cache_from_env(os.environ))
        return Loaded(desired=desired, source={"path": str(path.resolve())})
    from reconciler.gitops.repo import open_source

    repo = absolute_repo(repo)

    state = StateDir(args.state_dir).ensure()
    with open_source(repo, cache_dir=state.subdir("git")) as git_source:
        if git_source.mirrored:
            git_source.fetch()
        commit = git_source.resolve(args.ref)
        files = git_source.files_at(commit.sha, getattr(args, "repo_path", "") or "")
    desired = load_sources(
        files,
        origin=f"{commit.short_sha}:{args.repo_path or '.'}",
        cache=cache_from_env(os.environ),
    )
    return Loaded(desired=desired, source=commit.as_json())
