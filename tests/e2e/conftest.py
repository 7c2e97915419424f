"""CLI-level runs: ``reconciler.cli.main.main(argv)`` in-process, each test in its own
working directory and state directory, with the embedded control plane (no AIRBYTE_*
variables, chosen with ``--embedded``) and the example config copied into the test's directory."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.api.client import ApiClient
from reconciler.cli.main import main
from reconciler.controlplane import ControlPlane, open_embedded

from ..engine.harness import CANARY_WEBHOOK, ORG_ID, WEBHOOK_ENV, copy_example, no_sleep


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def body(self) -> str:
        """``out`` after its first line, which names the control plane (and a blank line)."""
        first, _, rest = self.out.partition("\n")
        assert first == "Control plane: embedded control plane in .flexctl (--embedded)", first
        return rest.removeprefix("\n")


@dataclass
class Cli:
    root: Path
    capsys: pytest.CaptureFixture[str]
    #: Everything every command printed, for the secret scans.
    printed: list[str]

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def state(self) -> Path:
        return self.root / ".flexctl"

    def __call__(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = main(list(argv))
        captured = self.capsys.readouterr()
        self.printed += [captured.out, captured.err]
        return Result(code, captured.out, captured.err)

    @asynccontextmanager
    async def api(self) -> AsyncIterator[ApiClient]:
        """A client of the same embedded control plane, for changes made outside Git."""
        plane, creds = open_embedded(self.state, organization_id=ORG_ID)
        try:
            async with ApiClient(
                creds.url,
                client_id=creds.client_id,
                client_secret=creds.client_secret,
                transport=plane.transport(),
                sleep=no_sleep,
            ) as client:
                yield client
        finally:
            plane.close()

    def plane(self) -> ControlPlane:
        return open_embedded(self.state, organization_id=ORG_ID)[0]

    def dump(self) -> list[str]:
        """The control plane's whole database (equal dumps: nothing changed)."""
        with self.plane() as plane:
            return [line for line in plane.store.dump() if 'INSERT INTO "tokens"' not in line]

    def add_users(self, *emails: str) -> None:
        with self.plane() as plane:
            for email in emails:
                plane.add_user(email)


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    for name in list(os.environ):
        if name.startswith("AIRBYTE_"):
            monkeypatch.delenv(name)
    # Tests pass --embedded; the ones about the implicit fallback set CI themselves.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(WEBHOOK_ENV, CANARY_WEBHOOK)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    copy_example(tmp_path / "config")
    yield Cli(tmp_path, capsys, [])


def free_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """The embedded control plane on a real socket, the config pointed at it (remote mode)."""

    plane: ControlPlane
    root: str


@pytest.fixture
def served(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    plane, creds = open_embedded(cli.root / "served", organization_id=ORG_ID)
    try:
        with plane.running() as root:
            monkeypatch.setenv("AIRBYTE_API_URL", f"{root}/api/public/v1")
            monkeypatch.setenv("AIRBYTE_CLIENT_ID", creds.client_id)
            monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", creds.client_secret)
            org = cli.config / "organization.yaml"
            text = org.read_text(encoding="utf-8")
            org.write_text(text.replace("https://airbyte.acme.example", root), encoding="utf-8")
            yield Served(plane, root)
    finally:
        plane.close()
