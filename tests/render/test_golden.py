"""Golden files: what `flexctl render` writes for the example and the fixture configs.

Regenerate after an intended change with:  UPDATE_GOLDEN=1 .venv/bin/pytest tests/render
and review the diff of tests/render/golden/ like any other change.
"""

from __future__ import annotations

import os
import shutil

import pytest

from reconciler.render import check_tree, render_all, write_tree
from tests.render.conftest import CONFIGS, GOLDEN, load


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_render_matches_golden(name: str) -> None:
    files = render_all(load(name))
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(golden, ignore_errors=True)
        write_tree(golden, files)
    diff = check_tree(golden, files)
    assert not diff.stale, "\n".join(
        [*diff.lines(), "intended? regenerate: UPDATE_GOLDEN=1 pytest tests/render"]
    )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_render_is_deterministic(name: str) -> None:
    first = render_all(load(name))
    second = render_all(load(name))
    assert first == second
    assert list(first) == sorted(first)


def test_example_folder_layout() -> None:
    files = render_all(load("example"))
    assert sorted({path.split("/")[0] for path in files}) == [
        "aws-ap-southeast-2--ap-southeast-2-primary",
        "aws-us-east-1--us-east-1-primary",
    ]
    assert sorted(p.split("/", 1)[1] for p in files if p.startswith("aws-us-east-1--")) == [
        ".flexctl-rendered",
        "README.md",
        "helmrelease.yaml",
        "helmrepository.yaml",
        "kustomization.yaml",
        "namespace.yaml",
        "values.yaml",
    ]


def test_no_timestamps_or_absolute_paths() -> None:
    for name in CONFIGS:
        for path, text in render_all(load(name)).items():
            assert str(CONFIGS[name]) not in text, path
            assert "/work/" not in text and "2025-" not in text and "2026-" not in text, path
