"""``flexctl controlplane serve | add-user | status``."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reconciler.cli import controlplane
from reconciler.controlplane import open_embedded

REPO = Path(__file__).resolve().parents[2]
# Only this subcommand's parser, so these tests do not depend on the other subcommands.
CLI = (
    "import argparse, sys\n"
    "from reconciler.cli import controlplane\n"
    "p = argparse.ArgumentParser(prog='flexctl')\n"
    "controlplane.register(p.add_subparsers(required=True))\n"
    "a = p.parse_args(sys.argv[1:])\n"
    "raise SystemExit(a.func(a))\n"
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="flexctl")
    controlplane.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["controlplane", *argv])
    return int(args.func(args))


def test_add_user_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path / "state")
    assert run("add-user", "carol@example.com", "--name", "Carol", "--state-dir", state) == 0
    user_id = capsys.readouterr().out.strip()
    assert run("add-user", "carol@example.com", "--state-dir", state) == 0
    assert capsys.readouterr().out.strip() == user_id

    assert run("status", "--state-dir", state) == 0
    assert "(no data planes)" in capsys.readouterr().out

    cp, _ = open_embedded(tmp_path / "state")
    with cp.store.write() as db:  # a data plane, as POST /dataplanes would make it
        region = db.execute("SELECT id FROM regions WHERE name = 'US'").fetchone()["id"]
        db.execute(
            "INSERT INTO dataplanes (id, region_id, name, enabled, client_id, secret_hash,"
            " created_us, updated_us, last_heartbeat_us) VALUES"
            " ('d1', ?, 'syd-1', 1, 'c1', 'h', 0, 0, 1767225600000000)",
            (region,),
        )
    cp.close()
    assert run("status", "--state-dir", state) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "DATAPLANE",
        "NAME",
        "REGION",
        "ENABLED",
        "LAST",
        "TOKEN",
        "LAST",
        "HEARTBEAT",
    ]
    assert lines[1].split() == ["d1", "syd-1", "US", "yes", "never", "2026-01-01T00:00Z"]


def test_serve_on_a_socket(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "elsewhere" / "cp.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI,
            "controlplane",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
            "--token-ttl",
            "120",
            "--latency-ms",
            "1",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        credentials = db.with_name("cp-admin-credentials.json")
        deadline = time.monotonic() + 20
        while True:
            try:
                creds = json.loads(credentials.read_text())
                response = httpx.post(
                    f"{creds['url']}/applications/token",
                    json={"client_id": creds["client_id"], "client_secret": creds["client_secret"]},
                )
                break
            except (OSError, ValueError, httpx.TransportError):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert creds["url"] == f"http://127.0.0.1:{port}/api/public/v1"
        assert response.status_code == 200 and response.json()["expires_in"] == 120
        # Adding a user (or reading the status) beside the running server keeps its URL.
        assert run("add-user", "dora@example.com", "--db", str(db)) == 0
        assert run("status", "--db", str(db)) == 0
        assert json.loads(credentials.read_text()) == creds
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert str(credentials) in stderr
    assert creds["client_secret"] not in stderr
