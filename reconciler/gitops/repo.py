"""Config documents straight from a Git commit: open a repository, fetch, resolve refs, read blobs.

Owns every call into GitPython (and so every ``git`` subprocess): third-party errors are wrapped
here into ``GitError`` naming the repository (credentials redacted) and, where it applies, the ref.
Must not load or validate YAML (that is ``config.loader``) and must not check out a working tree:
files are read from the object database, so a bare mirror is enough.

Two kinds of source:

- a local path to a repository (bare or not) is read in place; ``fetch()`` does nothing, refs are
  whatever that repository has (``main``, ``origin/main``, tags, SHAs);
- anything else (``https://``, ``ssh://``, ``git@host:``, ``file://``) is mirrored into
  ``<cache_dir>/<sha256 of the redacted URL>`` as a bare repository; ``fetch()`` runs
  ``git fetch --prune --force`` with the URL on the command line, so a token in the URL is never
  written to the mirror's config. Branch names resolve against the remote's branches.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import filelock
import git
from git.objects import Blob, Tree

from reconciler.config.diagnostics import ConfigError, Diagnostic, Position
from reconciler.config.ignore import (
    IGNORE_FILE,
    MARKER_FILES,
    MARKER_PROBE_BYTES,
    MAX_IGNORE_BYTES,
    IgnoreFileError,
    IgnoreRules,
    is_output_marker,
)
from reconciler.config.sources import MAX_FILE_BYTES, SourceFile
from reconciler.errors import GitError
from reconciler.gitops.treewalk import TreeWalk
from reconciler.redact import redact_userinfo

#: Length of the abbreviated SHA in display paths (``<short>:<path>``); long enough to be unique
#: in any realistic config repository, short enough to read.
SHORT_SHA = 12
#: A fetch that takes longer than this is killed: the loop must not hang on a dead remote.
FETCH_TIMEOUT_SECONDS = 300.0

_REMOTE = "origin"
_REFSPECS = (f"+refs/heads/*:refs/remotes/{_REMOTE}/*", "+refs/tags/*:refs/tags/*")
#: Git must fail rather than prompt for a password: there is nobody to answer in CI or a pod.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


def redact(text: str) -> str:
    """``text`` with the user-info of every URL in it replaced by ``***``."""
    return redact_userinfo(text)


@dataclass(frozen=True)
class CommitInfo:
    """The commit a config was read from: goes into plans, saved plans, audit records, status."""

    sha: str
    short_sha: str
    author_name: str
    author_email: str
    #: ISO 8601 with the author's offset, as Git recorded it.
    authored_at: str
    summary: str
    #: The repository as the user named it, credentials redacted.
    repo: str

    def as_json(self) -> dict[str, str]:
        return {
            "sha": self.sha,
            "shortSha": self.short_sha,
            "authorName": self.author_name,
            "authorEmail": self.author_email,
            "authoredAt": self.authored_at,
            "summary": self.summary,
            "repo": self.repo,
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> CommitInfo:
        return cls(
            sha=data["sha"],
            short_sha=data["shortSha"],
            author_name=data["authorName"],
            author_email=data["authorEmail"],
            authored_at=data["authoredAt"],
            summary=data["summary"],
            repo=data["repo"],
        )


class GitSource:
    """One repository to read config from. Close it (or use ``with``): GitPython keeps
    ``git cat-file`` processes alive for reading blobs."""

    def __init__(self, repo: git.Repo, *, display: str, url: str | None, lock: Path | None) -> None:
        self._repo = repo
        #: What messages name: the repository as given, credentials redacted.
        self.display = display
        # The URL with its credentials, only for the fetch command line; never printed.
        self._url = url
        self._lock = lock

    @property
    def mirrored(self) -> bool:
        return self._url is not None

    def __enter__(self) -> GitSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._repo.close()

    # ------------------------------------------------------------------ fetch

    def fetch(self) -> None:
        """Bring the mirror up to date with the remote (prune deleted branches, accept
        force-pushes). A repository read in place is not fetched: it is what the user has."""
        if self._url is None:
            return
        assert self._lock is not None
        try:
            with filelock.FileLock(self._lock, timeout=FETCH_TIMEOUT_SECONDS):
                self._repo.git.fetch(
                    "--prune",
                    "--force",
                    "--no-write-fetch-head",
                    self._url,
                    *_REFSPECS,
                    env=_GIT_ENV,
                    kill_after_timeout=FETCH_TIMEOUT_SECONDS,
                )
        except filelock.Timeout as e:
            raise GitError(f"cannot fetch {self.display}: another fetch holds {self._lock}") from e
        except git.GitCommandError as e:
            raise GitError(f"cannot fetch {self.display}: {self._stderr(e)}") from e

    # ------------------------------------------------------------------ refs and commits

    def resolve(self, ref: str) -> CommitInfo:
        """The commit ``ref`` names: a branch, a tag, a (possibly abbreviated) SHA, or any
        revision Git understands (``origin/main``, ``HEAD~1``)."""
        commit = self._commit(ref)
        return CommitInfo(
            sha=commit.hexsha,
            short_sha=commit.hexsha[:SHORT_SHA],
            author_name=str(commit.author.name or ""),
            author_email=str(commit.author.email or ""),
            authored_at=commit.authored_datetime.isoformat(),
            summary=_first_line(commit.message),
            repo=self.display,
        )

    def has_commit(self, sha: str) -> bool:
        try:
            self._repo.git.cat_file("-e", f"{sha}^{{commit}}")
        except git.GitCommandError:
            return False
        return True

    def has_path(self, sha: str, path: str) -> bool:
        """Whether ``path`` (a file or folder) exists in that commit's tree."""
        try:
            self._commit(sha).tree / path.strip("/")
        except KeyError:
            return False
        return True

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether ``old`` is reachable from ``new``; a commit the repository no longer has
        is not an ancestor of anything (after a force-push and a gc it is gone)."""
        if not self.has_commit(old):
            return False
        older, newer = self._commit(old), self._commit(new)
        try:
            return bool(self._repo.is_ancestor(older, newer))
        except git.GitCommandError as e:
            raise GitError(
                f"{self.display}: cannot compare {old} and {new}: {self._stderr(e)}"
            ) from e

    def merge_base(self, base: str, head: str) -> str:
        """The commit a pull request from ``head`` into ``base`` is compared against (the
        three-dot diff of a forge): changes merged to ``base`` since do not count as the PR's."""
        base_sha = self._commit(base).hexsha
        head_sha = self._commit(head).hexsha
        try:
            found = self._repo.merge_base(base_sha, head_sha)
        except git.GitCommandError as e:
            raise GitError(f"{self.display}: no common ancestor of {base} and {head}") from e
        if not found:
            raise GitError(f"{self.display}: no common ancestor of {base} and {head}")
        return str(found[0].hexsha)

    # ------------------------------------------------------------------ files

    def files_at(self, sha: str, subdir: str = "") -> list[SourceFile]:
        """Every ``*.yaml``/``*.yml`` blob under ``subdir`` in that commit's tree, sorted by path.

        Same rules as a directory (``config.sources.scan_directory``; see ``treewalk``): hidden
        folders are skipped, so is what the commit's ``<subdir>/.flexctlignore`` matches and
        every folder holding a flexctl output marker (a rendered folder hydrated into the
        config repository, a state directory committed by force); a symbolic link is followed
        only inside ``subdir``; oversized files are cut at ``MAX_FILE_BYTES + 1`` so the
        loader reports them. A link that leads
        out, to nothing or round in a loop is a ``ConfigError`` naming every such link.
        ``display_path`` is ``<short sha>:<path in the repository>``. An unusable
        ``.flexctlignore`` is a ``ConfigError`` naming its lines.
        """
        commit = self._commit(sha)
        prefix = posixpath.normpath(subdir.strip("/")) if subdir.strip("/") else ""
        short = commit.hexsha[:SHORT_SHA]
        tree: Tree = commit.tree
        if prefix:
            try:
                found = tree / prefix
            except KeyError as e:
                raise GitError(
                    f"{self.display}: path {prefix!r} not found in commit {short}"
                ) from e
            if not isinstance(found, Tree):
                raise GitError(f"{self.display}: {prefix!r} is not a folder in commit {short}")
            tree = found
        rules = self._ignore_rules(tree, short)
        walk = TreeWalk(
            commit.tree,
            prefix,
            display=lambda p: f"{short}:{p}",
            read=self._read,
            skip_folder=lambda rel, folder: rules.skips_folder(rel) or _is_output(folder),
            skip_file=rules.skips_file,
        )
        walk.run(tree)
        if walk.problems:
            raise ConfigError(
                [Diagnostic(Position(p.display_path), p.message) for p in walk.problems]
            )
        return sorted(walk.files, key=lambda f: f.display_path)

    def _ignore_rules(self, tree: Tree, short: str) -> IgnoreRules:
        try:
            blob = tree / IGNORE_FILE
        except KeyError:
            return IgnoreRules()
        shown = f"{short}:{blob.path}"
        if not isinstance(blob, Blob) or blob.mode == Blob.link_mode:
            raise ConfigError([Diagnostic(Position(shown), "not a regular file: refused")])
        data: bytes = blob.data_stream.read(MAX_IGNORE_BYTES + 1)
        try:
            return IgnoreRules.parse(data)
        except IgnoreFileError as e:
            raise ConfigError(
                Diagnostic(Position(shown, p.line, 1), p.message) for p in e.problems
            ) from e

    # ------------------------------------------------------------------ internals

    def _commit(self, ref: str) -> git.Commit:
        for candidate in self._candidates(ref):
            try:
                # rev-parse checks the object exists (Repo.commit() of a full SHA does not) and
                # peels an annotated tag to its commit.
                sha = self._repo.git.rev_parse(
                    "--verify", "--quiet", "--end-of-options", f"{candidate}^{{commit}}"
                )
            except git.GitCommandError:
                continue
            return self._repo.commit(sha)
        raise GitError(f"{self.display}: unknown ref {ref!r} (not a branch, tag or commit)")

    def _candidates(self, ref: str) -> list[str]:
        """Names to try for ``ref``, most specific first. In a mirror a branch lives under
        ``refs/remotes/origin/``; a user may still spell it ``refs/heads/main``."""
        if not ref or ref.startswith("-"):
            return []  # never let a ref be read as an option
        if not self.mirrored:
            return [ref]
        names = []
        branch = ref.removeprefix("refs/heads/")
        names.append(f"refs/remotes/{_REMOTE}/{branch}")
        names.append(f"refs/tags/{ref.removeprefix('refs/tags/')}")
        if not ref.startswith("refs/heads/"):
            names.append(ref)  # a SHA, or a revision such as origin/main
        return names

    def _read(self, blob: Blob) -> bytes:
        data: bytes = blob.data_stream.read(MAX_FILE_BYTES + 1)
        return data

    def _stderr(self, e: git.GitCommandError) -> str:
        text = e.stderr if isinstance(e.stderr, str) else str(e.stderr or "")
        lines = [
            line.strip().removeprefix("stderr: ").strip("'").strip() for line in text.splitlines()
        ]
        # git's first "fatal:" line says what went wrong; the lines after it are advice.
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        if fatal:
            detail = fatal[0].split(":", 1)[1].strip()
        else:
            detail = next((line for line in lines if line), f"git exited with status {e.status}")
        if self._url:
            detail = detail.replace(self._url, self.display)
        return redact(detail)


def _is_output(tree: Tree) -> bool:
    """Whether a folder of the commit is flexctl's own output (``config.ignore`` markers)."""
    for name in MARKER_FILES:
        try:
            blob = tree / name
        except KeyError:
            continue
        if isinstance(blob, Blob) and blob.mode != Blob.link_mode:
            head: bytes = blob.data_stream.read(MARKER_PROBE_BYTES)
            if is_output_marker(name, head):
                return True
    return False


def _first_line(message: str | bytes) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return text.strip().splitlines()[0] if text.strip() else ""


def open_source(repo: str, *, cache_dir: Path) -> GitSource:
    """A ``GitSource`` for ``repo``: a local repository read in place, or a mirror of a URL.

    Opening a mirror creates it (an empty bare repository) but does not fetch: call ``fetch()``.
    """
    display = redact(repo)
    local = _local_repository(repo)
    if local is not None:
        return GitSource(local, display=display, url=None, lock=None)
    key = hashlib.sha256(display.encode()).hexdigest()[:32]
    mirror = cache_dir / key
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if (mirror / "HEAD").is_file():
            opened = git.Repo(mirror)
        else:
            opened = git.Repo.init(mirror, bare=True, mkdir=True)
    except (OSError, git.GitError) as e:
        raise GitError(f"cannot create a mirror of {display} in {mirror}: {e}") from e
    return GitSource(opened, display=display, url=repo, lock=cache_dir / f"{key}.lock")


def _local_repository(repo: str) -> git.Repo | None:
    """The repository at ``repo`` if it names an existing local one (bare or with a worktree)."""
    if "://" in repo:
        return None
    path = Path(repo).expanduser()
    if not path.exists():
        if ":" in repo:
            return None  # scp-like git@host:org/repo
        raise GitError(f"{repo}: no such directory (and not a URL)")
    try:
        return git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as e:
        raise GitError(f"{repo}: not a Git repository") from e
    except OSError as e:  # pragma: no cover - permissions
        raise GitError(f"{repo}: cannot open: {os.strerror(e.errno or 0)}") from e
