"""The status line while the control plane is read: on a terminal, never in CI or a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.api.calls import CallCounter, listening
from reconciler.cli.status import StatusCounts, wanted

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
LINE = "reading the control plane"


def test_the_line_counts_pages_lists_and_the_rest() -> None:
    counts = StatusCounts()
    assert counts.line() == "reading the control plane…"
    for endpoint in ["GET /workspaces"] * 120 + ["GET /permissions", "GET /regions"]:
        counts.add(endpoint)
    assert counts.line() == (
        "reading the control plane: 120 workspace pages, 1 permission list, 1 other request…"
    )


def test_listening_sees_every_request_of_every_counter_while_it_lasts() -> None:
    seen: list[str] = []
    first, second = CallCounter(), CallCounter()
    with listening(seen.append):
        first.record("GET", "/workspaces")
        second.record("POST", "/applications/token", is_token=True)
    first.record("GET", "/regions")
    assert seen == ["GET /workspaces", "POST /applications/token"]


def test_not_wanted_in_ci() -> None:
    assert wanted({"CI": "true"}) is False


def plan_stderr(tmp_path: Path, *, tty: bool, ci: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"US_ANALYTICS_SLACK_WEBHOOK": "https://hooks.example.invalid/x", "TERM": "xterm"}
    if ci:
        env["CI"] = "true"
    argv = [sys.executable, "-m", "reconciler", "plan", str(EXAMPLE), "--embedded"]
    argv += ["--state-dir", str(tmp_path / "state"), "--allow-local-credentials"]
    if not tty:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, done.stderr
        return done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL, env=env
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait() == 0
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_a_terminal_shows_the_line(tmp_path: Path) -> None:
    assert LINE in plan_stderr(tmp_path, tty=True, ci=False)


@pytest.mark.parametrize(("tty", "ci"), [(False, False), (True, True)])
def test_no_line_in_a_pipe_or_in_ci(tmp_path: Path, tty: bool, ci: bool) -> None:
    assert LINE not in plan_stderr(tmp_path, tty=tty, ci=ci)
