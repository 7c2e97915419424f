"""Fixtures of the gitops tests: hermetic Git configuration and a remote with a clone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .example import pushed_example
from .gitrepos import AUTHOR, EMAIL, Remote
from .webhooks import Webhook


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


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example's run: the embedded control plane (no AIRBYTE_* settings), in tmp_path."""
    for name in ("AIRBYTE_API_URL", "AIRBYTE_CLIENT_ID", "AIRBYTE_CLIENT_SECRET", "FLEXCTL_STATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("US_ANALYTICS_SLACK_WEBHOOK", "https://hooks.example.invalid/e2e")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def example_remote(workdir: Path) -> Iterator[Remote]:
    """examples/flex-config committed and pushed to a bare remote."""
    repo = pushed_example(workdir / "git")
    yield repo
    repo.close()
