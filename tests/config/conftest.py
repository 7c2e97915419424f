"""Shared helpers for the config tests: where the fixtures live, how a case is loaded."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
EXAMPLE = HERE.parents[1] / "examples" / "flex-config"


def _huge_file(case: Path) -> None:
    # 2 MiB of valid-looking YAML: refused by size before any parsing.
    line = "# " + "x" * 97 + "\n"
    (case / "huge.yaml").write_text(line * (2 * 1024 * 1024 // len(line) + 1))


#: Cases whose input is too big to commit: built in a copy of the case directory.
GENERATED: dict[str, Callable[[Path], None]] = {"file-too-large": _huge_file}


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    target = tmp_path / "flex-config"
    shutil.copytree(EXAMPLE, target)
    return target
