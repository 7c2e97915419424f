"""The release workflow example builds and checks what the tests build, and its shell steps parse.

actionlint is not installable from a registry here (its Python wrapper downloads the binary
at build time), so the workflows are read as YAML and each ``run`` script goes through
``bash -n``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.packaging.dockerfile import ROOT

EXAMPLES = ROOT / "examples" / "github-actions"
RELEASE = EXAMPLES / "release.yml"


def workflow(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe", pure=True).load(path.read_text())
    return loaded


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def scripts(job: dict[str, Any]) -> str:
    return "\n".join(s["run"] for s in steps(job) if "run" in s)


def test_the_package_job_builds_checks_and_smoke_tests_the_wheel() -> None:
    package = workflow(RELEASE)["jobs"]["package"]
    script = scripts(package)
    assert "python -m build\n" in script
    assert "python -m twine check --strict dist/*" in script
    assert "/tmp/wheel-venv/bin/pip install dist/*.whl" in script
    assert 'flexctl validate "${GITHUB_WORKSPACE}/examples/flex-config"' in script


def test_publishing_waits_for_both_builds_and_uses_trusted_publishing() -> None:
    jobs = workflow(RELEASE)["jobs"]
    publish = jobs["publish-package"]
    assert set(publish["needs"]) == {"package", "image"}
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["if"] == "github.ref_type == 'tag'"
    uses = [s.get("uses", "") for s in steps(publish)]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)


def test_the_image_job_builds_this_dockerfile_and_pushes_only_tags() -> None:
    image = workflow(RELEASE)["jobs"]["image"]
    build = next(s for s in steps(image) if s.get("uses", "").startswith("docker/build-push"))
    assert build["with"]["file"] == "Dockerfile"
    assert build["with"]["context"] == "."
    assert build["with"]["push"] == "${{ github.ref_type == 'tag' }}"
    lint = next(s for s in steps(image) if "hadolint" in s.get("uses", ""))
    assert lint["with"]["dockerfile"] == "Dockerfile"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yml")), ids=lambda p: p.name)
def test_every_run_step_is_valid_bash(path: Path) -> None:
    for name, job in workflow(path)["jobs"].items():
        for step in steps(job):
            if "run" not in step:
                continue
            done = subprocess.run(
                ["bash", "-n", "-c", step["run"]], capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{name}: {step.get('name')}: {done.stderr}"
