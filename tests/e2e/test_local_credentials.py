"""Issue 11 item 3: a data plane create whose credentials would stay on a CI runner's disk (or
on one machine of a shared state) is refused at plan time, naming the data plane, where its
sink was chosen and the sinks to use; ``--allow-local-credentials`` overrides; nothing changes."""

from __future__ import annotations

import subprocess

import pytest

from ..engine.harness import EXAMPLE_USERS
from .conftest import Cli

REFUSAL = (
    "error: refusing to create data planes with local credentials ({why}; pass "
    "--allow-local-credentials to write them anyway):\n"
    "  config/dataplanes/aws-ap-southeast-2.yaml:23:1: dataplane "
    "aws-ap-southeast-2/ap-southeast-2-primary: its one-time credentials would go to the file "
    "sink on this machine's disk, lost when this run's machine goes away; set credentials.type "
    "(or the Organization's default credentials) to vault, aws-secrets-manager, "
    "gcp-secret-manager, azure-key-vault or kubernetes\n"
    "  config/dataplanes/aws-us-east-1.yaml:30:1: dataplane "
    "aws-us-east-1/us-east-1-primary: its one-time credentials would go to the file sink on "
    "this machine's disk, lost when this run's machine goes away; set credentials.type (or "
    "the Organization's default credentials) to vault, aws-secrets-manager, "
    "gcp-secret-manager, azure-key-vault or kubernetes\n"
)


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_ci_refuses_a_create_with_a_file_sink(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the control plane, CI unset
    before = cli.dump()
    monkeypatch.setenv("CI", "true")
    argv = [command, "config", "--embedded"] + (["--yes"] if command == "apply" else [])
    result = cli(*argv)
    assert result.code == 1
    assert result.err == REFUSAL.format(why="CI is set")
    assert "Traceback" not in result.err
    assert cli.dump() == before
    assert not (cli.state / "credentials").exists()


def test_allow_local_credentials_overrides_and_ci_false_is_unset(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "false")
    assert cli("plan", "config", "--embedded").code == 0
    monkeypatch.setenv("CI", "1")
    assert cli("plan", "config", "--embedded").code == 1
    cli.add_users(*EXAMPLE_USERS)
    done = cli("apply", "config", "--embedded", "--yes", "--allow-local-credentials")
    assert done.code == 0, done.err
    # Nothing left to create: a plan in CI is no longer refused.
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_a_shared_state_refuses_even_outside_ci(cli: Cli) -> None:
    remote = cli.root / "state.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    url = f"git+file://{remote}#refs/flexctl/state"
    result = cli("plan", "config", "--embedded", "--state", url)
    assert result.code == 1
    assert result.err == f"State: {url} (shared)\n" + REFUSAL.format(
        why=f"the state is shared ({url})"
    )
    assert (
        cli("plan", "config", "--embedded", "--state", url, "--allow-local-credentials").code == 0
    )
