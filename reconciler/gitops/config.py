"""Config from Git for the commands: load the documents of a ref, and what a pull request changed.

The glue between ``GitSource`` (reading blobs) and ``config.loader`` (validating them), so that
``plan``, ``apply`` and ``reconcile`` read a ref the same way. Diagnostics name files as
``<short sha>:<path in the repository>``. Must not talk to the control plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.config.desired import DesiredState
from reconciler.config.diagnostics import ConfigError, Diagnostic, Position
from reconciler.config.loader import load_sources
from reconciler.config.sources import SourceFile
from reconciler.gitops.changes import DocumentChange, changed_documents
from reconciler.gitops.repo import CommitInfo, GitSource, open_source


@dataclass(frozen=True)
class GitConfig:
    """The desired state of one commit, with the commit it came from (for plans and audit)."""

    commit: CommitInfo
    state: DesiredState


@dataclass(frozen=True)
class PullRequest:
    """The documents a pull request changed, compared with where it branched off its base."""

    #: The merge base of the base ref and the head (what a forge's diff compares against).
    base: CommitInfo
    head: GitConfig
    changes: tuple[DocumentChange, ...]


def origin(commit: CommitInfo, subdir: str = "") -> str:
    """How config-wide diagnostics name the config of a commit: ``<short sha>:<folder>``."""
    return f"{commit.short_sha}:{subdir.strip('/') or '.'}"


def load_files(commit: CommitInfo, files: list[SourceFile], subdir: str = "") -> DesiredState:
    """Validate the documents read from ``commit`` (``GitSource.files_at``)."""
    where = origin(commit, subdir)
    if not files:
        raise ConfigError([Diagnostic(Position(where), "no *.yaml or *.yml files at this commit")])
    return load_sources(files, origin=where)


def load_commit(source: GitSource, commit: CommitInfo, subdir: str = "") -> DesiredState:
    return load_files(commit, source.files_at(commit.sha, subdir), subdir)


def load_ref(repo: str, ref: str, *, cache_dir: Path, subdir: str = "") -> GitConfig:
    """Fetch (a mirror), resolve ``ref`` and load its documents: ``--repo URL|PATH --ref REF``."""
    with open_source(repo, cache_dir=cache_dir) as source:
        source.fetch()
        commit = source.resolve(ref)
        return GitConfig(commit=commit, state=load_commit(source, commit, subdir))


def pull_request(source: GitSource, *, base: str, head: str, subdir: str = "") -> PullRequest:
    """What ``head`` changed since it branched off ``base`` (``flexctl plan --base REF``).

    A base without any config (the pull request that creates it) counts every document as
    added; a base whose config does not load is an error naming the base commit's files.
    """
    head_commit = source.resolve(head)
    base_commit = source.resolve(source.merge_base(base, head_commit.sha))
    head_config = GitConfig(commit=head_commit, state=load_commit(source, head_commit, subdir))
    base_files = (
        source.files_at(base_commit.sha, subdir) if _has_dir(source, base_commit, subdir) else []
    )
    base_state = load_files(base_commit, base_files, subdir) if base_files else None
    return PullRequest(
        base=base_commit,
        head=head_config,
        changes=tuple(changed_documents(base_state, head_config.state)),
    )


def _has_dir(source: GitSource, commit: CommitInfo, subdir: str) -> bool:
    return not subdir.strip("/") or source.has_path(commit.sha, subdir)
