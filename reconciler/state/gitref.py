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
import subprocess
import tempfile
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
        if not line:
            return None
        sha = line.split()[0]
        if self._git("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode != 0:
            self._git("fetch", "-q", "--no-tags", self.remote, f"+{self.ref}:refs/state/tip")
        return sha

    def _blob(self, tip: str | None, key: str) -> str | None:
        if tip is None:
            return None
        done = self._git("rev-parse", "-q", "--verify", f"{tip}:{key}", check=False)
        if done.returncode != 0:
            return None
        return done.stdout.decode().strip() or None

    # ------------------------------------------------------------------ primitives

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
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
        tip = self._tip()
        if tip is None:
            return []
        out = self._git("ls-tree", "-r", "--name-only", tip).stdout.decode()
        return [k for k in out.splitlines() if k.startswith(prefix)]

    def _commit(self, key: str, blob: str | None, *, expect: str | None, message: str) -> None:
        for _ in range(_PUSH_ATTEMPTS):
            tip = self._tip()
            if self._blob(tip, key) != expect:
                raise ConflictError(f"{self.url}: {key}: changed since it was read")
            with tempfile.TemporaryDirectory() as scratch:
                index = {"GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_WORK_TREE": scratch}
                if tip is not None:
                    self._git("read-tree", tip, env=index)
                if blob is None:
                    self._git("update-index", "--force-remove", "--", key, env=index)
                else:
                    self._git(
                        "update-index", "--add", "--cacheinfo", f"100644,{blob},{key}", env=index
                    )
                tree = self._git("write-tree", env=index).stdout.decode().strip()
            parents = ["-p", tip] if tip is not None else []
            commit = (
                self._git("commit-tree", tree, *parents, "-F", "-", stdin=message.encode())
                .stdout.decode()
                .strip()
            )
            push = self._git(
                "push", "-q", "--porcelain", self.remote, f"{commit}:{self.ref}", check=False
            )
            if push.returncode == 0:
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
        raise ConflictError(
            f"{self.url}: {key}: the ref kept moving; gave up after {_PUSH_ATTEMPTS} pushes"
        )


def _clean(stream: bytes) -> str:
    # Git quotes the remote URL in its errors, credentials included.
    return redact_userinfo(" ".join(stream.decode(errors="replace").split()))[:500]
