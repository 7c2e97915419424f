"""The git backend: documents as files in the tree of one ref (``git+URL#REF``).

Each write is a commit on top of the ref's tip, pushed without force: git refuses the push
when the ref moved (not a fast-forward), which is the compare-and-swap. A document's revision
is its blob id, so writers of different documents only retry the push, while a writer whose
own document changed gets a ConflictError. The commit message is what the write records (for
the audit log: the audit record itself). Uses the git CLI on a scratch bare repository in the
state directory; credentials are git's own (SSH agent, credential helpers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from reconciler.errors import StateError
from reconciler.redact import redact_userinfo
from reconciler.state.base import ConflictError, StateBackend
from reconciler.state.url import StateUrl

_PUSH_ATTEMPTS = 8


class GitRefBackend(StateBackend):
    def __init__(
        self,
        url: StateUrl,
        *,
        cache_dir: Path,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(url, **({"clock": clock} if clock else {}))
        self.remote = url.location
        self.ref = url.path
        self.cache = cache_dir
        self._env = {
            **(dict(env) if env is not None else dict(os.environ)),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "flexctl",
            "GIT_AUTHOR_EMAIL": "flexctl@localhost",
            "GIT_COMMITTER_NAME": "flexctl",
            "GIT_COMMITTER_EMAIL": "flexctl@localhost",
        }
        self._env.pop("GIT_DIR", None)
        self._env.pop("GIT_INDEX_FILE", None)
        # What this process last saw the ref point at (a read or its own push), the blobs it
        # knows at that tip, and a private index holding that tip's tree. A write starts from
        # them instead of asking the remote again; the push (never forced) is still the
        # compare-and-swap, so a stale guess costs one rejected push, never a lost write.
        self._lock = threading.Lock()
        self._seen: str | None = None
        self._seen_blobs: dict[str, str | None] = {}
        self._scratch: Path | None = None
        self._index_tip: str | None = None

    # ------------------------------------------------------------------ git plumbing

    def _git(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        if not (self.cache / "HEAD").exists():
            self.cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            subprocess.run(
                ["git", "init", "-q", "--bare", str(self.cache)],
                check=True,
                capture_output=True,
                env=self._env,
            )
        done = subprocess.run(
            ["git", "--git-dir", str(self.cache), *args],
            input=stdin,
            capture_output=True,
            env={**self._env, **(env or {})},
            timeout=60,
            check=False,
        )
        if check and done.returncode != 0:
            raise StateError(
                f"{self.url}: git {args[0]} failed: {_clean(done.stderr) or done.returncode}"
            )
        return done

    def _tip(self) -> str | None:
        """The remote ref's commit, fetched into the scratch repository; None if absent."""
        done = self._git("ls-remote", "--", self.remote, self.ref, check=False)
        if done.returncode != 0:
            raise StateError(
                f"{self.url}: cannot reach the repository: "
                f"{_clean(done.stderr) or 'git ls-remote failed'}"
            )
        line = done.stdout.decode().split("\n", 1)[0].strip()
        sha = line.split()[0] if line else None
        missing = (
            sha is not None
            and sha != self._seen
            and self._git("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode != 0
        )
        if missing:
            self._git("fetch", "-q", "--no-tags", self.remote, f"+{self.ref}:refs/state/tip")
        self._see(sha)
        return sha

    def _see(self, tip: str | None) -> None:
        if tip != self._seen:
            self._seen, self._seen_blobs = tip, {}

    def _blob(self, tip: str | None, key: str) -> str | None:
        if tip is None:
            return None
        if tip == self._seen and key in self._seen_blobs:
            return self._seen_blobs[key]
        done = self._git("rev-parse", "-q", "--verify", f"{tip}:{key}", check=False)
        blob = (done.stdout.decode().strip() or None) if done.returncode == 0 else None
        if tip == self._seen:
            self._seen_blobs[key] = blob
        return blob

    # ------------------------------------------------------------------ primitives

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        with self._lock:
            blob = self._blob(self._tip(), key)
        if blob is None:
            return None, None
        return self._git("cat-file", "blob", blob).stdout, blob

    def _put(self, key: str, data: bytes, *, expect: str | None, message: str) -> str:
        blob = self._git("hash-object", "-w", "--stdin", stdin=data).stdout.decode().strip()
        self._commit(key, blob, expect=expect, message=message)
        return blob

    def _delete(self, key: str, *, expect: str, message: str) -> None:
        self._commit(key, None, expect=expect, message=message)

    def _list(self, prefix: str) -> list[str]:
        with self._lock:
            tip = self._tip()
        if tip is None:
            return []
        out = self._git("ls-tree", "-r", "--name-only", tip).stdout.decode()
        return [k for k in out.splitlines() if k.startswith(prefix)]

    def _commit(self, key: str, blob: str | None, *, expect: str | None, message: str) -> None:
        with self._lock:
            self._commit_locked(key, blob, expect=expect, message=message)

    def _commit_locked(
        self, key: str, blob: str | None, *, expect: str | None, message: str
    ) -> None:
        # First try on the tip this process last saw (no round trip to the remote); after a
        # rejected push, or when that tip disagrees with what the caller read, ask the remote.
        tip = self._seen if self._seen is not None else self._tip()
        for _ in range(_PUSH_ATTEMPTS):
            if self._blob(tip, key) != expect:
                fresh = self._tip()
                if fresh == tip or self._blob(fresh, key) != expect:
                    raise ConflictError(f"{self.url}: {key}: changed since it was read")
                tip = fresh
            commit = self._commit_tree(tip, key, blob, message)
            push = self._git(
                "push", "-q", "--porcelain", self.remote, f"{commit}:{self.ref}", check=False
            )
            if push.returncode == 0:
                # The new tip differs from ``tip`` in ``key`` only: what was known carries over.
                known = self._seen_blobs if tip == self._seen else {}
                self._seen, self._seen_blobs = commit, {**known, key: blob}
                return
            text = _clean(push.stdout + push.stderr)
            if not any(
                w in text
                for w in (
                    "rejected",
                    "non-fast-forward",
                    "fetch first",
                    "stale info",
                    "already exists",
                    "failed to update",
                )
            ):
                raise StateError(f"{self.url}: git push failed: {text}")
            # The ref moved (another document was written): re-read and try again.
            tip = self._tip()
        raise ConflictError(
            f"{self.url}: {key}: the ref kept moving; gave up after {_PUSH_ATTEMPTS} pushes"
        )

    def _commit_tree(self, tip: str | None, key: str, blob: str | None, message: str) -> str:
        """A commit on ``tip`` with ``key`` set to ``blob`` (None: removed), built in this
        process's private index (read from ``tip`` only when it holds another tree)."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="flexctl-state-git-"))
        index = {
            "GIT_INDEX_FILE": str(self._scratch / "index"),
            "GIT_WORK_TREE": str(self._scratch),
        }
        if self._index_tip != tip or tip is None:
            (self._scratch / "index").unlink(missing_ok=True)
            if tip is not None:
                self._git("read-tree", tip, env=index)
        self._index_tip = None  # until the commit below exists
        if blob is None:
            self._git("update-index", "--force-remove", "--", key, env=index)
        else:
            self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{key}", env=index)
        tree = self._git("write-tree", env=index).stdout.decode().strip()
        parents = ["-p", tip] if tip is not None else []
        commit = (
            self._git("commit-tree", tree, *parents, "-F", "-", stdin=message.encode())
            .stdout.decode()
            .strip()
        )
        self._index_tip = commit
        return commit

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
            self._index_tip = None


def _clean(stream: bytes) -> str:
    # Git quotes the remote URL in its errors, credentials included.
    return redact_userinfo(" ".join(stream.decode(errors="replace").split()))[:500]
