"""Shared helpers for the render tests: configs to render, goldens, the chart reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config.desired import DesiredState
from reconciler.config.loader import load_directory

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
EXAMPLE = ROOT / "examples" / "flex-config"
CHART_REFERENCE = ROOT.parent / "shared" / "reference" / "airbyte-data-plane-chart"

#: name -> config directory; each has a golden folder tests/render/golden/<name>/.
CONFIGS = {
    "example": EXAMPLE,
    "eso-argocd": FIXTURES / "eso-argocd",
    "none-minio": FIXTURES / "none-minio",
    "chart-v2": FIXTURES / "chart-v2",
}


def load(name: str) -> DesiredState:
    return load_directory(CONFIGS[name])


@pytest.fixture
def config_copy(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a named config into tmp_path so a test can edit it."""

    def copy(name: str) -> Path:
        target = tmp_path / "config"
        shutil.copytree(CONFIGS[name], target)
        return target

    return copy
