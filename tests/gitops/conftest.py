"""Fixtures of the gitops tests: hermetic Git configuration and a remote with a clone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .gitrepos import AUTHOR, EMAIL, Remote


@pytest.fixture(autouse=True)
def _hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The developer's ~/.gitconfig (signing, hooks, default branch) must not change a test.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for role in ("AUTHOR", "COMMITTER"):  # tags and anything else that needs an identity
        monkeypatch.setenv(f"GIT_{role}_NAME", AUTHOR)
        monkeypatch.setenv(f"GIT_{role}_EMAIL", EMAIL)


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    made = Remote(tmp_path)
    yield made
    made.close()
