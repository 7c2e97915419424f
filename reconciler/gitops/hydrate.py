"""Hydration: commit the rendered data-plane folders to a branch the clusters sync from.

``hydrate(target, files, message=...)`` brings ``<path>/`` of branch ``target.branch`` of
``target.url`` to exactly what ``render_all`` produced (``render.tree.write_tree``'s ownership
rules: flexctl's marked folders are rewritten or removed, anything else is left alone), as one
commit, and pushes it. Guarantees:

- nothing is committed when the folders did not change (``HydrateResult.commit`` is ``None``);
- compare-and-swap, never a force push: a plain push is refused by the remote when the branch
  moved since it was fetched; then the branch is fetched again, the folders are written again
  on top of the new head, and the push is retried (``MAX_ATTEMPTS`` times);
- the URL (which may carry a token) is passed on each fetch/push command line and never
  written to the working clone's configuration; messages name it redacted;
- git never prompts, hooks of the user's configuration do not run, commits are not signed.

The working clone lives in the cache directory (``<state-dir>/git/hydrate-<hash>``), one per
URL, serialised by a file lock. Only this module and ``repo.py`` run git.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import filelock
import git

from reconciler.config.desired import DesiredState
from reconciler.errors import FlexctlError, GitError
from reconciler.redact import redact_userinfo
from reconciler.render import check_tree, render_all, unified_diff, write_tree
from reconciler.render.delivery import GitDelivery, public_url

MAX_ATTEMPTS = 5
LOCK_TIMEOUT_SECONDS = 300.0
#: The commit's identity unless GIT_AUTHOR_* / GIT_COMMITTER_* say otherwise (CI sets them).
DEFAULT_NAME = "flexctl"
DEFAULT_EMAIL = "flexctl@users.noreply.invalid"

_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
#: Config for every command: no signing, no hooks, no user templates.
_GIT_CONFIG = ("-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null")
_LOCAL = "refs/flexctl/hydrate-base"
#: What a remote answers when the branch moved under a push (or two pushes met).
_MOVED = (
    "[rejected]",
    "non-fast-forward",
    "fetch first",
    "failed to update ref",
    "cannot lock ref",
    "incorrect old value",
)


@dataclass(frozen=True)
class GitTarget:
    #: As the user gave it, credentials included: for fetch and push only, never printed.
    url: str
    branch: str
    #: Folder in the repository the data-plane folders go into ("" for the root).
    path: str = ""

    @property
    def display(self) -> str:
        return redact_userinfo(self.url)

    def delivery(self) -> GitDelivery:
        """What the rendered Flux / Argo CD objects point at: this branch and folder, the URL
        without credentials."""
        return GitDelivery(url=public_url(self.url), branch=self.branch, path=self.path)

    def where(self) -> str:
        folder = self.path.strip("/") or "."
        return f"{self.display} branch {self.branch} folder {folder}"


def make_target(url: str | None, branch: str | None, path: str = "") -> GitTarget | None:
    """The target the ``--to-git URL --branch B --to-git-path P`` options name, checked."""
    if not url:
        if branch:
            raise FlexctlError("--branch needs --to-git URL (the repository to commit to)")
        return None
    if not branch:
        raise FlexctlError("--to-git needs --branch B (the branch the clusters sync from)")
    bad = branch.startswith(("-", "/", "refs/")) or ".." in branch or branch.endswith("/")
    if bad or any(c in branch for c in " ~^:?*[\\"):
        raise FlexctlError(f"--branch {branch!r} is not a branch name")
    folder = path.strip("/")
    if ".." in folder.split("/") or folder.startswith("."):
        raise FlexctlError(f"--to-git-path {path!r} must name a folder inside the repository")
    return GitTarget(url=url, branch=branch, path=folder)


@dataclass(frozen=True)
class HydrateResult:
    target: GitTarget
    #: The new commit, or ``None`` when the branch already held these folders.
    commit: str | None
    #: Pushes tried (more than 1: the branch moved and the commit was made again on top).
    attempts: int
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.commit is None:
            return f"{self.target.where()}: up to date, nothing committed"
        retried = (
            f" (after {self.attempts - 1} retry(s): the branch moved)" if self.attempts > 1 else ""
        )
        return (
            f"{self.target.where()}: committed {self.commit[:12]}{retried}: "
            f"{len(self.written)} file(s) written, {len(self.removed)} removed"
        )


def hydrate(
    target: GitTarget,
    files: Mapping[str, str],
    *,
    message: str,
    cache_dir: Path,
    before_push: Callable[[], None] | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> HydrateResult:
    """Commit ``files`` under ``target.path`` of ``target.branch`` and push (see the module).

    ``before_push`` runs after the commit is made and before each push (tests use it to let
    another hydration land in between).
    """
    clone = _Clone(target, cache_dir)
    with clone.locked():
        for attempt in range(1, attempts + 1):
            head = clone.fetch()
            clone.reset(head)
            report = write_tree(clone.folder(), files)
            if not clone.stage():
                return HydrateResult(target, None, attempt)
            sha = clone.commit(message)
            if before_push is not None:
                before_push()
            if clone.push(sha):
                return HydrateResult(target, sha, attempt, report.written, report.removed)
    raise GitError(
        f"cannot push to {target.where()}: the branch moved under each of {attempts} attempts"
    )


def hydrate_desired(
    target: GitTarget,
    desired: DesiredState,
    *,
    source: Mapping[str, str],
    cache_dir: Path,
    plan_digest: str | None = None,
) -> HydrateResult:
    """Render ``desired`` for ``target`` (objects pointing at its branch) and hydrate it."""
    files = render_all(desired, delivery=target.delivery())
    message = commit_message(
        target=target,
        files=files,
        source=source,
        config_digest=desired.digest,
        plan_digest=plan_digest,
    )
    return hydrate(target, files, message=message, cache_dir=cache_dir)


def check_branch(target: GitTarget, files: Mapping[str, str], *, cache_dir: Path) -> list[str]:
    """The unified diff between the branch's folders and ``files`` (empty: up to date).
    Changes nothing on the remote."""
    clone = _Clone(target, cache_dir)
    with clone.locked():
        clone.reset(clone.fetch())
        folder = clone.folder()
        diff = check_tree(folder, files)
        return unified_diff(folder, files, diff) if diff.stale else []


def commit_message(
    *,
    target: GitTarget,
    files: Mapping[str, str],
    source: Mapping[str, str],
    config_digest: str,
    plan_digest: str | None,
) -> str:
    """One commit per change set: what was rendered, from which commit, by which plan."""
    folders = len({rel.split("/", 1)[0] for rel in files})
    if "sha" in source:
        origin = f"{source.get('repo', '')} commit {source['sha']}"
        subject = f"flexctl: render {folders} data plane folder(s) from {source['sha'][:12]}"
    else:
        origin = f"directory {source.get('path', '.')}"
        subject = f"flexctl: render {folders} data plane folder(s)"
    lines = [subject, "", f"Source: {redact_userinfo(origin)}", f"Config-Digest: {config_digest}"]
    if plan_digest is not None:
        lines.append(f"Plan-Digest: {plan_digest}")
    lines.append(f"Folder: {target.path.strip('/') or '.'}")
    return "\n".join(lines) + "\n"


class _Clone:
    """The working clone of one fleet repository in the cache directory."""

    def __init__(self, target: GitTarget, cache_dir: Path) -> None:
        self.target = target
        key = hashlib.sha256(target.display.encode()).hexdigest()[:32]
        self.root = cache_dir / f"hydrate-{key}"
        self._lock = cache_dir / f"hydrate-{key}.lock"
        self._repo: git.Repo | None = None

    def locked(self) -> filelock.BaseFileLock:
        try:
            self._lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as e:
            raise GitError(f"cannot create {self._lock.parent}: {e.strerror or e}") from e
        return filelock.FileLock(self._lock, timeout=LOCK_TIMEOUT_SECONDS)

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            try:
                if (self.root / ".git").is_dir():
                    self._repo = git.Repo(self.root)
                else:
                    self._repo = git.Repo.init(self.root, mkdir=True)
            except (OSError, git.GitError) as e:
                raise GitError(f"cannot create a working clone in {self.root}: {e}") from e
        return self._repo

    def folder(self) -> Path:
        return self.root / self.target.path.strip("/") if self.target.path.strip("/") else self.root

    def fetch(self) -> str | None:
        """The branch's head on the remote (fetched into ``_LOCAL``), or None: no branch yet."""
        ref = f"refs/heads/{self.target.branch}"
        listed = self._git("ls-remote", self.target.url, ref, action="read")
        if not listed.strip():
            return None
        self._git(
            "fetch", "--no-tags", "--force", self.target.url, f"+{ref}:{_LOCAL}", action="fetch"
        )
        return str(self._git("rev-parse", "--verify", _LOCAL, action="read").strip())

    def reset(self, head: str | None) -> None:
        """The work tree and index exactly at ``head`` (an empty, unborn branch for None)."""
        if head is None:
            self._git("symbolic-ref", "HEAD", "refs/heads/flexctl-hydrate", action="prepare")
            self._git("update-ref", "-d", "refs/heads/flexctl-hydrate", action="prepare")
            self._git("read-tree", "--empty", action="prepare")
        else:
            self._git("checkout", "-q", "--force", "-B", "flexctl-hydrate", head, action="prepare")
            self._git("reset", "-q", "--hard", head, action="prepare")
        self._git("clean", "-q", "-ffdx", action="prepare")

    def stage(self) -> bool:
        """Stage everything; whether anything differs from the head."""
        self._git("add", "-A", "--", ".", action="stage")
        try:
            self.repo.git.diff("--cached", "--quiet", env=_GIT_ENV)
        except git.GitCommandError as e:
            if e.status == 1:
                return True
            raise GitError(f"{self.target.where()}: cannot compare: {_stderr(e)}") from e
        return False

    def commit(self, message: str) -> str:
        self._git("commit", "-q", "--no-verify", "-m", message, action="commit", env=_identity())
        return str(self._git("rev-parse", "HEAD", action="read").strip())

    def push(self, sha: str) -> bool:
        """Push ``sha`` to the branch without force; False when the branch moved meanwhile."""
        try:
            self.repo.git.execute(
                ["git", *_GIT_CONFIG, "push", "--porcelain", self.target.url,
                 f"{sha}:refs/heads/{self.target.branch}"],
                env=_GIT_ENV,
            )  # fmt: skip
        except git.GitCommandError as e:
            text = f"{e.stdout or ''}\n{e.stderr or ''}"
            if any(marker in text for marker in _MOVED):
                return False
            raise GitError(f"cannot push to {self.target.where()}: {_stderr(e)}") from e
        return True

    def _git(self, *args: str, action: str, env: Mapping[str, str] | None = None) -> str:
        try:
            out = self.repo.git.execute(
                ["git", *_GIT_CONFIG, *args], env={**_GIT_ENV, **(env or {})}
            )
        except git.GitCommandError as e:
            raise GitError(f"cannot {action} {self.target.where()}: {_stderr(e)}") from e
        return str(out)


def _identity() -> dict[str, str]:
    values = {}
    for role in ("AUTHOR", "COMMITTER"):
        values[f"GIT_{role}_NAME"] = os.environ.get(f"GIT_{role}_NAME") or DEFAULT_NAME
        values[f"GIT_{role}_EMAIL"] = os.environ.get(f"GIT_{role}_EMAIL") or DEFAULT_EMAIL
    return values


def _stderr(e: git.GitCommandError) -> str:
    text = e.stderr if isinstance(e.stderr, str) else str(e.stderr or "")
    lines = [line.strip().removeprefix("stderr: ").strip("'").strip() for line in text.splitlines()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    detail = fatal[0].split(":", 1)[1].strip() if fatal else next((x for x in lines if x), "")
    return redact_userinfo(detail or f"git exited with status {e.status}")
