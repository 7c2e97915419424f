"""Shared helpers for the config tests: where the fixtures live, how a case is loaded."""

from __future__ import annotations

import os
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


def _fifo(case: Path) -> None:
    # A named pipe with a config name: reading it would block forever (no writer).
    os.mkfifo(case / "region.yaml")


def _secret_fifo(case: Path) -> None:
    (case / "secrets").mkdir()
    os.mkfifo(case / "secrets" / "hook")


def _secret_too_large(case: Path) -> None:
    (case / "secrets").mkdir()
    (case / "secrets" / "hook").write_bytes(b"h" * (64 * 1024 + 1))


#: Cases whose input cannot be committed (too big, not a file): built in a copy of the case.
GENERATED: dict[str, Callable[[Path], None]] = {
    "file-too-large": _huge_file,
    "fifo-config-file": _fifo,
    "secret-file-fifo": _secret_fifo,
    "secret-file-too-large": _secret_too_large,
}


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    target = tmp_path / "flex-config"
    shutil.copytree(EXAMPLE, target)
    return target
