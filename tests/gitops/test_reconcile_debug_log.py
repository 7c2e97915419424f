"""A failed reconcile cycle's traceback goes to the debug log (-vv), scrubbed, and only there."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import logs
from reconciler.config.sources import SourceFile
from reconciler.errors import FlexctlError
from reconciler.gitops.outcome import CycleResult
from reconciler.gitops.repo import CommitInfo

from .gitrepos import CONFIG, Remote
from .test_cli_reconcile import run

CANARY = "canary-Token-31d9e2"


@pytest.fixture(autouse=True)
def _quiet_again() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logs.configure(0)
    logging.getLogger().setLevel(level)


@pytest.fixture
def repo(remote: Remote) -> str:
    remote.commit(CONFIG, "initial config")
    return str(remote.work_path)


def engine_bug(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
    raise KeyError(f"no such region https://ci:{CANARY}@git.example.com")


def wrapped_failure(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
    try:
        raise OSError(f"connection reset by https://ci:{CANARY}@cp.example.com")
    except OSError as e:
        raise FlexctlError("control plane unreachable") from e


@pytest.mark.parametrize(
    ("cycle", "last_line"),
    [
        (engine_bug, "KeyError: 'no such region https://***@git.example.com'"),
        (wrapped_failure, "reconciler.errors.FlexctlError: control plane unreachable"),
    ],
)
def test_debug_log_holds_the_traceback_of_a_failed_cycle(
    repo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], cycle: object, last_line: str
) -> None:
    logs.configure(2)
    argv = ["--repo", repo, "--once", "--state-dir", str(tmp_path / "state")]
    assert run(argv, cycle) == 1  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "flexctl: DEBUG reconciler.gitops.loop: cycle " in err
    assert "Traceback (most recent call last)" in err
    assert last_line in err.splitlines()
    assert CANARY not in err


def test_without_verbose_a_failed_cycle_prints_no_traceback(
    repo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure(0)
    argv = ["--repo", repo, "--once", "--state-dir", str(tmp_path / "state")]
    assert run(argv, engine_bug) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "failed" in captured.out
