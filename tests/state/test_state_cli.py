"""``flexctl state show | migrate | unlock`` and bad backends: each error names the backend URL
and object, exits 1 with no traceback, and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.store import InventoryStore, Journal
from reconciler.state import open_backend, parse_state_url
from reconciler.state.lease import LeaseOwner, acquire
from reconciler.state.local import LocalBackend

from .conftest import bare_repo


def _seed_local(root: Path) -> None:
    backend = LocalBackend(root)
    inventory = Inventory()
    inventory.record(ResourceKey(Kind.WORKSPACE, "analytics"), "ws-1", essence={"d": "x"})
    inventory.record(ResourceKey(Kind.REGION, "eu"), "rg-1", essence=None)
    InventoryStore(backend).save(inventory)
    (root / "audit.jsonl").write_text(
        json.dumps(
            {
                "runId": "r1" * 8,
                "time": "2026-12-01T10:00:00.000+00:00",
                "actor": "ci",
                "outcome": "applied",
                "action": "create",
                "kind": "workspace",
            }
        )
        + "\n"
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_migrate_local_into_git_then_show_from_another_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = tmp_path / "local"
    _seed_local(local)
    url = f"git+file://{bare_repo(tmp_path / 'state.git')}#refs/flexctl/state"
    code, out, err = _run(capsys, "state", "migrate", "--state-dir", str(local), "--to", url)
    assert code == 0, err
    assert out.startswith("Migrated 2 documents from local ")
    assert (local / "inventory.json").exists()  # the source is kept
    code, out, err = _run(
        capsys,
        "state",
        "show",
        "--state-dir",
        str(tmp_path / "other"),
        "--state",
        url,
        "--output",
        "json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert shown["shared"] is True and shown["lease"] is None
    assert sorted((e["kind"], e["name"], e["id"]) for e in shown["inventory"]) == [
        ("region", "eu", "rg-1"),
        ("workspace", "analytics", "ws-1"),
    ]
    assert [a["records"] for a in shown["audit"]] == [1]
    # a second migration finds the same state there: nothing to change, still verified
    assert _run(capsys, "state", "migrate", "--state-dir", str(local), "--to", url)[0] == 0
    text = _run(capsys, "state", "show", "--state-dir", str(tmp_path / "x"), "--state", url)[1]
    assert text.splitlines()[:3] == [
        f"State: {parse_state_url(url)} (shared)",
        "Lock: free",
        "Inventory: 2 objects, 0 protected",
    ]


def test_migrate_refuses_a_target_with_other_state_and_an_unfinished_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = tmp_path / "local"
    _seed_local(local)
    target = tmp_path / "target"
    LocalBackend(target).write("inventory", {"version": 1, "entries": []}, expect_revision=None)
    before = (target / "inventory.json").read_bytes()
    code, _, err = _run(capsys, "state", "migrate", "--state-dir", str(local), "--to", str(target))
    assert code == 1
    assert f"{target / 'inventory.json'}: the target already holds different state" in err
    assert (target / "inventory.json").read_bytes() == before
    Journal(LocalBackend(local)).begin(ResourceKey(Kind.WORKSPACE, "half-made"))
    fresh = tmp_path / "fresh"
    code, _, err = _run(capsys, "state", "migrate", "--state-dir", str(local), "--to", str(fresh))
    assert code == 1 and "the journal holds an apply that did not finish" in err
    assert not (fresh / "inventory.json").exists()


def test_unlock_releases_only_the_named_lease(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"git+file://{bare_repo(tmp_path / 'state.git')}#refs/flexctl/state"
    backend = open_backend(parse_state_url(url), state_dir=tmp_path / "a", env=dict(os.environ))
    owner = LeaseOwner(user="alice", host="runner-7", pid=1, command="apply", ci_run="github run 9")
    lease = acquire(backend, owner, ttl=600, wait=0)
    common = ("--state-dir", str(tmp_path / "b"), "--state", url)
    shown = _run(capsys, "state", "show", *common)[1]
    assert "Lock: held by alice on runner-7 (pid 1, github run 9), running `apply`" in shown
    assert f"(lease {lease.id}, expires in " in shown
    code, _, err = _run(capsys, "state", "unlock", "nope", *common)
    assert code == 1 and f"held by lease {lease.id}, not nope" in err
    code, out, _ = _run(capsys, "state", "unlock", lease.id, *common)
    assert code == 0 and out.startswith(f"Released lease {lease.id}: alice on runner-7")
    assert "Lock: free" in _run(capsys, "state", "show", *common)[1]
    code, _, err = _run(capsys, "state", "unlock", "x", "--state-dir", str(tmp_path / "c"))
    assert code == 1 and "there is no lease to unlock" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"formatVersion": 99, "entries": []}', "formatVersion 99 is newer than this flexctl"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_bad_state_document_is_an_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    """Through a fresh interpreter: exit 1, the object named, no traceback, nothing written."""
    url = f"git+file://{bare_repo(tmp_path / 'state.git')}#refs/flexctl/state"
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "state.git"), str(seed)], check=True)
    (seed / "inventory.json").write_text(content)
    git = ["git", "-C", str(seed), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "seed"], check=True)
    subprocess.run([*git, "push", "-q", "origin", "HEAD:refs/flexctl/state"], check=True)
    before = subprocess.run(
        ["git", "-C", str(tmp_path / "state.git"), "rev-parse", "refs/flexctl/state"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "state",
            "show",
            "--state",
            url,
            "--state-dir",
            str(tmp_path / "runner"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "inventory.json" in done.stderr and message in done.stderr
    assert "state.git" in done.stderr
    after = subprocess.run(
        ["git", "-C", str(tmp_path / "state.git"), "rev-parse", "refs/flexctl/state"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert after == before


def test_a_bucket_that_does_not_exist_is_named(
    tmp_path: Path, aws_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "s3://no-such-bucket-flexctl/flex"
    code, _, err = _run(capsys, "state", "show", "--state", url, "--state-dir", str(tmp_path))
    assert code == 1
    assert "s3://no-such-bucket-flexctl/flex" in err and "inventory.json" in err


def test_an_unreachable_backend_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"git+file://{tmp_path / 'gone.git'}#refs/flexctl/state"
    code, _, err = _run(capsys, "state", "show", "--state", url, "--state-dir", str(tmp_path / "r"))
    assert code == 1
    assert "gone.git" in err
