"""``flexctl reconcile`` with an injected engine cycle: exit codes, status file, SIGTERM."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from reconciler.cli import reconcile
from reconciler.cli.main import build_parser
from reconciler.config.sources import SourceFile
from reconciler.errors import FlexctlError
from reconciler.gitops.loop import CycleFunction
from reconciler.gitops.outcome import CycleResult
from reconciler.gitops.repo import CommitInfo

from .gitrepos import CONFIG, Remote


def run(argv: list[str], cycle: CycleFunction) -> int:
    seen: dict[str, object] = {}

    def build_cycle(args: argparse.Namespace, mode: str) -> CycleFunction:
        seen["mode"] = mode
        return cycle

    parser = argparse.ArgumentParser(prog="flexctl")
    reconcile.register(parser.add_subparsers(), build_cycle=build_cycle)
    args = parser.parse_args(["reconcile", *argv])
    code = int(args.func(args))
    assert seen["mode"] == args.mode
    return code


def returning(result: CycleResult) -> CycleFunction:
    def cycle(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        return result

    return cycle


@pytest.fixture
def repo(remote: Remote) -> str:
    """The clone's path: read in place. Fetching a mirror is covered by the gitops loop tests."""
    remote.commit(CONFIG, "initial config")
    return str(remote.work_path)


@pytest.mark.parametrize(
    ("mode", "result", "code"),
    [
        ("report", CycleResult("in-sync"), 0),
        ("report", CycleResult("drift", drift_count=1, change_count=1), 2),
        ("report", CycleResult("failed", message="plan failed"), 1),
        ("heal", CycleResult("healed", drift_count=1, change_count=1, applied_count=1), 0),
        ("heal", CycleResult("in-sync"), 0),
        ("heal", CycleResult("failed", message="apply failed"), 1),
    ],
)
def test_once_exit_codes(
    repo: str, tmp_path: Path, mode: str, result: CycleResult, code: int
) -> None:
    state = tmp_path / "state"
    argv = ["--repo", repo, "--once", "--mode", mode, "--path", "config", "--state-dir", str(state)]
    assert run(argv, returning(result)) == code
    status = json.loads((state / "reconcile" / "status.json").read_text())
    assert status["last"]["result"] == result.result
    assert (state / ".gitignore").read_text().endswith("*\n")


def test_once_prints_one_line_per_cycle(
    repo: str, remote: Remote, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--repo", repo, "--once", "--state-dir", str(tmp_path / "state")]
    assert run(argv, returning(CycleResult("drift", drift_count=2, change_count=3))) == 2
    short = remote.work.head.commit.hexsha[:12]
    out = capsys.readouterr().out
    assert out.endswith(f" drift at {short}: drift=2 changes=3 applied=0\n")


def test_an_exception_in_the_cycle_is_a_failed_cycle_not_a_crash(repo: str, tmp_path: Path) -> None:
    def cycle(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        raise FlexctlError("control plane unreachable")

    assert run(["--repo", repo, "--once", "--state-dir", str(tmp_path)], cycle) == 1


def test_sigterm_finishes_the_cycle_in_flight_and_exits_cleanly(repo: str, tmp_path: Path) -> None:
    calls: list[str] = []

    def cycle(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        calls.append(commit.sha)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while a change is in flight
        calls.append("finished")
        return CycleResult("healed", applied_count=1)

    before = signal.getsignal(signal.SIGTERM)
    argv = ["--repo", repo, "--interval", "3600", "--mode", "heal", "--state-dir", str(tmp_path)]
    assert run(argv, cycle) == 0
    assert calls[1:] == ["finished"]  # one cycle, finished, no second one
    assert signal.getsignal(signal.SIGTERM) is before


def test_engine_missing_is_a_clear_error() -> None:
    with pytest.raises(FlexctlError) as caught:
        reconcile.import_build_cycle("reconciler.engine.no_such_module")
    assert str(caught.value) == (
        "reconcile needs the engine (reconciler.engine.no_such_module is not available)"
    )


def test_webhook_variable_must_be_set_and_is_never_echoed(
    repo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["--repo", repo, "--once", "--state-dir", str(tmp_path), "--webhook-url-env", "HOOK"]
    monkeypatch.delenv("HOOK", raising=False)
    with pytest.raises(
        FlexctlError, match=r"^--webhook-url-env: the environment variable HOOK is not set$"
    ):
        run(argv, returning(CycleResult("in-sync")))
    monkeypatch.setenv("HOOK", "hooks.example/T0KEN")
    with pytest.raises(FlexctlError) as caught:
        run(argv, returning(CycleResult("in-sync")))
    assert str(caught.value) == (
        "--webhook-url-env: the value of HOOK must start with https:// (or http:// to a "
        "loopback address)"
    )
    monkeypatch.setenv("HOOK", "http://hooks.example/T0KEN")
    with pytest.raises(FlexctlError) as caught:
        run(argv, returning(CycleResult("in-sync")))
    assert "T0KEN" not in str(caught.value)
    assert str(caught.value).endswith("is not a loopback address; use https://")


def test_bad_repository_is_reported_once(tmp_path: Path) -> None:
    argv = ["--repo", str(tmp_path / "missing"), "--once", "--state-dir", str(tmp_path / "s")]
    with pytest.raises(FlexctlError, match="missing: no such directory"):
        run(argv, returning(CycleResult("in-sync")))


def test_metrics_listen_on_loopback_unless_told_otherwise(
    repo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--repo", repo, "--once", "--state-dir", str(tmp_path), "--metrics-port", "0"]
    assert run(argv, returning(CycleResult("in-sync"))) == 0
    assert "metrics on 127.0.0.1:" in capsys.readouterr().err
    args = build_parser().parse_args(["reconcile", "--repo", ".", "--once"])
    assert args.metrics_addr == "127.0.0.1"


def test_registered_with_the_main_parser() -> None:
    args = build_parser().parse_args(["reconcile", "--repo", ".", "--interval", "60"])
    assert (args.ref, args.mode, args.interval, args.once, args.history) == (
        "main",
        "report",
        60.0,
        False,
        20,
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["reconcile", "--repo", ".", "--once", "--interval", "5"])


def test_sigterm_during_the_interval_wait_ends_the_loop_at_once(repo: str, tmp_path: Path) -> None:
    cycles: list[str] = []

    def cycle(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        cycles.append(commit.sha)
        return CycleResult("in-sync")

    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    argv = ["--repo", repo, "--interval", "3600", "--state-dir", str(tmp_path)]
    try:
        assert run(argv, cycle) == 0
    finally:
        timer.join()
    assert len(cycles) == 1 and time.monotonic() - started < 30
