"""Backends for the conformance suite: every test in ``test_conformance`` runs on each.

``make_backend(owner)`` returns a fresh backend object on the *same* shared state, standing
in for another runner: for git each one has its own scratch clone; for s3 its own client.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.state import StateBackend, open_backend, parse_state_url
from tests.servers.conftest_plugin import unique_name

MakeBackend = Callable[..., StateBackend]


class Clock:
    """An injectable clock: lease expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def bare_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    return path


def state_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "local":
        return str(tmp_path / "shared-local")
    if kind == "s3":
        request.getfixturevalue("aws_env")
        import boto3

        bucket = unique_name("state")
        boto3.client("s3").create_bucket(Bucket=bucket)
        return f"s3://{bucket}/teams/flex"
    remote = bare_repo(tmp_path / "remote.git")
    return f"git+file://{remote}#refs/flexctl/state"


@pytest.fixture(params=["local", "s3", "git"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return state_url(request.param, tmp_path, request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_backend(url: str, tmp_path: Path, clock: Clock) -> MakeBackend:
    import os

    count = [0]

    def make(*, runner: str | None = None) -> StateBackend:
        count[0] += 1
        work = tmp_path / (runner or f"runner-{count[0]}")
        backend = open_backend(parse_state_url(url), state_dir=work, env=dict(os.environ))
        backend.clock = clock
        return backend

    return make
