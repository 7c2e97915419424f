"""Bad input: one directory per case under tests/render/bad/, each a DataPlane (and, where
the case needs it, an Organization) laid over bad/_base/. ``expected.txt`` is the exact
error output, positions included. Render's own checks raise ``RenderProblems``; names
and document shape are the loader's (``ConfigError``), asserted here so both stay covered.

Regenerate expected.txt after an intended message change: UPDATE_GOLDEN=1 pytest tests/render
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory
from reconciler.render import RenderProblems, render_all

BAD = Path(__file__).parent / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_"))
LOADER_CASES = {"dataplane-name-invalid", "namespace-invalid", "storage-block-mismatch"}


def _run(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[type, str]:
    work = tmp_path / "config"
    shutil.copytree(BAD / "_base", work)
    for item in (BAD / case).iterdir():
        if item.name != "expected.txt":
            shutil.copy(item, work / item.name)
    monkeypatch.chdir(work)  # positions print relative to the config root
    try:
        render_all(load_directory(Path(".")))
    except (RenderProblems, ConfigError) as exc:
        return type(exc), exc.render()
    raise AssertionError(f"{case}: no error")


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kind, output = _run(case, tmp_path, monkeypatch)
    expected = BAD / case / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected.write_text(output + "\n")
    assert output + "\n" == expected.read_text()
    assert kind is (ConfigError if case in LOADER_CASES else RenderProblems)
    assert "dataplane.yaml:" in output  # every case points into the file at fault


def test_all_problems_reported_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, output = _run("override-unknown-key", tmp_path, monkeypatch)
    assert output.endswith("3 error(s)")


@pytest.mark.parametrize("case", sorted(set(CASES) - LOADER_CASES))
def test_preflight_finds_what_render_refuses_without_writing_yaml(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``validate`` and ``plan`` run render's every check, but dump no YAML (the dumps were
    most of the preflight's cost): the same diagnostics as a full render."""
    from reconciler.render import render as module
    from reconciler.render.preflight import local_problems

    _, output = _run(case, tmp_path, monkeypatch)

    def no_dump(*args: object, **kwargs: object) -> str:
        raise AssertionError("the preflight wrote YAML")

    monkeypatch.setattr(module, "dump", no_dump)
    problems = local_problems(load_directory(Path(".")))
    assert RenderProblems(problems).render() == output
    assert local_problems(load_directory(BAD / "_base")) == []
