"""The wheel, built once per test session and installed into a fresh virtualenv.

The build starts from a directory holding exactly what the Dockerfile's builder stage copies
(through .dockerignore), so a file the build needs but the image would not get fails here
too. With pytest-xdist the workers share one build: the first takes a file lock and builds,
the others wait and reuse it. The install uses pip's cache, so after the first run on a
machine it downloads nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.packaging.dockerfile import ROOT, context_files, copied_sources, stages


@dataclass(frozen=True)
class Built:
    dist: Path  # the sdist and the wheel
    venv: Path  # a fresh virtualenv with the wheel installed (no editable install)

    @property
    def wheel(self) -> Path:
        return next(self.dist.glob("*.whl"))

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def _run(*argv: str | Path, cwd: Path) -> None:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def _stage_build_context(target: Path) -> None:
    """Copy what the builder stage COPYs, as far as .dockerignore lets it into the context."""
    builder = stages()[0]
    allowed = {p.relative_to(ROOT) for p in context_files()}
    for source in copied_sources(builder):
        for path in sorted(allowed):
            if path.parts[: len(Path(source).parts)] == Path(source).parts:
                (target / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, target / path)


def _build(root: Path) -> Built:
    context, dist, venv = root / "context", root / "dist", root / "venv"
    _stage_build_context(context)
    _run(sys.executable, "-m", "build", "--outdir", dist, context, cwd=root)
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    wheel = next(dist.glob("*.whl"))
    _run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
         "--quiet", wheel, cwd=root)  # fmt: skip
    return Built(dist=dist, venv=venv)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "packaging"
    with FileLock(str(shared / "packaging.lock")):
        marker = root / "built.json"
        if marker.exists():
            paths = json.loads(marker.read_text())
            return Built(dist=Path(paths["dist"]), venv=Path(paths["venv"]))
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        result = _build(root)
        marker.write_text(json.dumps({"dist": str(result.dist), "venv": str(result.venv)}))
        return result
