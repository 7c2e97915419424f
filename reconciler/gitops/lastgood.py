"""The last commit per repository and ref that loaded and planned fine, and choosing the commit
a reconcile cycle reads.

A reconcile loop must keep working when the remote is down or a ref stops resolving, so it
remembers the last good commit in the state backend's ``git/lastgood`` document (no secrets:
the repository is stored redacted). ``select_commit`` fetches, resolves the ref and falls back
to that commit when either fails, saying so in a warning; a force-push is reported but the new
commit is used.
Must not decide what "good" means: the loop calls ``remember`` after a cycle that did not fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import GitError
from reconciler.gitops.repo import CommitInfo, GitSource
from reconciler.state import DocumentHandle, StateBackend


class LastGoodStore(DocumentHandle):
    """A small document: ``{"commits": {"<repo>#<ref>": <CommitInfo.as_json()>}}``."""

    def __init__(self, target: StateBackend | Path, *, name: str = "git/lastgood") -> None:
        super().__init__(target, name)

    def get(self, repo: str, ref: str) -> CommitInfo | None:
        entry = self._read().get(_key(repo, ref))
        return CommitInfo.from_json(entry) if entry is not None else None

    def remember(self, ref: str, commit: CommitInfo) -> None:
        def change(document: dict[str, Any] | None) -> dict[str, Any]:
            entries = _commits(document)
            entries[_key(commit.repo, ref)] = commit.as_json()
            return {"commits": entries}

        self.backend.update(self.name, change, message=f"flexctl: last good {commit.sha}")

    def _read(self) -> dict[str, dict[str, str]]:
        return _commits(self.backend.read(self.name)[0])


def _commits(document: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    if document is None:
        return {}
    if "commits" in document:
        return dict(document["commits"])
    # Written before documents were versioned: the mapping itself.
    return {k: v for k, v in document.items() if k != "formatVersion"}


def _key(repo: str, ref: str) -> str:
    return f"{repo}#{ref}"


class FetchFailedError(GitError):
    """The remote could not be fetched and there is no last good commit to fall back to."""


@dataclass(frozen=True)
class Selection:
    """The commit to read this cycle, and what the user must be told about how it was chosen."""

    commit: CommitInfo
    warnings: tuple[str, ...] = ()
    #: True when the remote could not be fetched and the last good commit is used instead.
    fetch_failed: bool = False


def select_commit(source: GitSource, ref: str, store: LastGoodStore | None) -> Selection:
    """Fetch, resolve ``ref``; fall back to the last good commit when either fails.

    Raises ``FetchFailedError`` when the fetch failed and there is nothing to fall back to,
    ``GitError`` when the ref does not resolve and there is nothing to fall back to.
    """
    last = store.get(source.display, ref) if store is not None else None
    usable = last if last is not None and source.has_commit(last.sha) else None
    try:
        source.fetch()
    except GitError as e:
        if usable is None:
            raise FetchFailedError(
                f"{e} (and no last good commit of ref {ref} to fall back to)"
            ) from e
        return Selection(
            commit=usable,
            warnings=(f"fetch failed, using last good {usable.short_sha}: {e}",),
            fetch_failed=True,
        )
    try:
        new = source.resolve(ref)
    except GitError as e:
        if usable is None:
            raise
        return Selection(commit=usable, warnings=(f"{e}; using last good {usable.short_sha}",))
    if last is not None and last.sha != new.sha and not source.is_ancestor(last.sha, new.sha):
        return Selection(
            commit=new,
            warnings=(
                f"ref {ref} was force-pushed: {last.short_sha} is not an ancestor of "
                f"{new.short_sha}",
            ),
        )
    return Selection(commit=new)
