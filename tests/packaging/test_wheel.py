"""The package as users get it: sdist and wheel pass ``twine check``, and the wheel installed
into a fresh virtualenv (no editable install, no source tree on the path) runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.packaging.conftest import Built
from tests.packaging.dockerfile import ROOT

EXAMPLE = ROOT / "examples" / "flex-config"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("CI", None)
    return env


def run(built: Built, tool: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(built.bin(tool)), *argv],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_sdist_and_wheel_pass_twine_check(built: Built) -> None:
    files = sorted(built.dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_the_installed_wheel_is_what_runs(built: Built, tmp_path: Path) -> None:
    done = run(built, "python", "-c", "import reconciler; print(reconciler.__file__)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(built.venv / "lib")


def test_version_from_the_installed_wheel(built: Built, tmp_path: Path) -> None:
    done = run(built, "flexctl", "--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"flexctl {PYPROJECT['project']['version']}\n"


def test_validate_and_render_the_example_from_the_installed_wheel(
    built: Built, tmp_path: Path
) -> None:
    done = run(built, "flexctl", "validate", str(EXAMPLE), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("valid: 1 organization, 2 regions, 2 data planes")
    # render reads the package data (chart keys, manifest schemas) and checks its output.
    out = tmp_path / "rendered"
    done = run(built, "flexctl", "render", str(EXAMPLE), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.glob("*/values.yaml")) == ["values.yaml"] * 2


def test_the_wheel_holds_every_data_file_of_the_package(built: Built) -> None:
    """A data file added under reconciler/ but not to package-data would be lost here."""
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
    package = ROOT / "reconciler"
    source = {
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert source - names == set()


@pytest.mark.parametrize("entry", ["flexctl = reconciler.cli.main:main"])
def test_the_wheel_declares_the_entry_point(built: Built, entry: str) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
        assert entry in wheel.read(points).decode().splitlines()
