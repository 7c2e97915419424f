"""Which control plane (issue 12 item 1): every command says it first, the embedded control
plane is used implicitly only when nothing is configured outside CI, and an explicit choice
(``--embedded``, ``controlPlane: {embedded: true}``) works everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from reconciler.controlplane import open_embedded

from ..engine.harness import ORG_ID, edit
from ..gitops.gitrepos import Remote
from .conftest import Cli

CHOOSE = (
    "set AIRBYTE_API_URL (with AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET) or the "
    "Organization's controlPlane.url, or choose the embedded control plane explicitly with "
    "--embedded or controlPlane: {embedded: true}"
)
IN_CI = (
    "error: no control plane is configured and CI is set (in CI flexctl never falls back to the "
    "embedded control plane): " + CHOOSE + "\n"
)


def test_nothing_configured_outside_ci_is_the_embedded_control_plane_and_says_so(
    cli: Cli,
) -> None:
    text = cli("plan", "config")
    assert text.code == 0, text.err
    assert text.out.splitlines()[:2] == [
        "Control plane: embedded control plane in .flexctl (no controlPlane.url, no "
        "AIRBYTE_API_URL)",
        "",
    ]
    as_json = json.loads(cli("plan", "config", "--output", "json").out)
    assert as_json["target"] == {
        "controlPlane": "embedded",
        "organizationId": ORG_ID,
        "stateDir": ".flexctl",
        "why": "no controlPlane.url, no AIRBYTE_API_URL",
    }
    markdown = cli("plan", "config", "--output", "markdown").out
    assert markdown.splitlines()[3] == (
        "**Control plane:** embedded control plane in .flexctl (no controlPlane.url, no "
        "AIRBYTE_API_URL)"
    )
    verify = cli("verify", "config")
    assert verify.out.splitlines()[0] == text.out.splitlines()[0]


@pytest.mark.parametrize(
    ("env", "err"),
    [
        ({"CI": "true"}, IN_CI),
        (
            {"AIRBYTE_API_URL": ""},
            "error: AIRBYTE_API_URL is set but empty: set it to the control plane's public API "
            "URL (https://api.airbyte.com/v1, or https://HOST/api/public/v1), or unset it and "
            "pass --embedded to use the embedded control plane\n",
        ),
        (
            {"AIRBYTE_CLIENT_ID": "app-id", "AIRBYTE_CLIENT_SECRET": "canary-client-secret-7f3a"},
            "error: AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET are set but no control-plane URL "
            "is: " + CHOOSE + "\n",
        ),
    ],
    ids=["ci", "empty-url", "credentials-only"],
)
@pytest.mark.parametrize("command", ["plan", "apply", "verify", "import"])
def test_the_embedded_control_plane_is_never_used_implicitly_when_a_real_one_was_meant(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    err: str,
    command: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    extra = {"apply": ["--yes"], "import": ["--out", "imported"]}.get(command, [])
    result = cli(command, "config", *extra)
    assert (result.code, result.out, result.err) == (1, "", err)
    # Never opened: no database, no bootstrap credentials, nothing imported.
    assert not (cli.state / "controlplane").exists()
    assert not (cli.root / "imported").exists()


def test_reconcile_in_ci_never_falls_back(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, git_config_repo: str
) -> None:
    monkeypatch.setenv("CI", "true")
    result = cli("reconcile", "--repo", git_config_repo, "--once", "--mode", "heal")
    assert result.code == 1
    assert "failed at " in result.out and "in CI flexctl never falls back" in result.out
    assert not (cli.state / "controlplane").exists()


def test_an_explicit_choice_works_in_ci(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("AIRBYTE_API_URL", "")
    # --allow-local-credentials: the example's file sinks are refused in CI (issue 11).
    flag = cli("plan", "config", "--embedded", "--allow-local-credentials")
    assert flag.code == 0, flag.err
    assert flag.body.startswith("+ region ")
    edit(
        cli.config / "organization.yaml",
        "controlPlane: {}",
        "controlPlane: {embedded: true}",
    )
    document = cli("plan", "config", "--allow-local-credentials")
    assert document.code == 0, document.err
    assert document.out.splitlines()[0] == (
        "Control plane: embedded control plane in .flexctl (controlPlane.embedded: true)"
    )


def test_embedded_true_with_a_url_is_a_config_error(cli: Cli) -> None:
    edit(
        cli.config / "organization.yaml",
        "controlPlane: {}",
        "controlPlane: {embedded: true, url: 'https://api.airbyte.com/v1'}",
    )
    result = cli("validate", "config")
    assert (result.code, result.out) == (
        1,
        "config/organization.yaml:27:1: error: embedded: true uses the embedded control plane, "
        "so url cannot be set with it; remove one or the other\n1 error(s)\n",
    )


@pytest.fixture
def served(cli: Cli) -> Iterator[str]:
    """The same embedded control plane served on a loopback socket: a remote to flexctl."""
    plane, creds = open_embedded(cli.root / "server", organization_id=ORG_ID)
    try:
        with plane.running() as root:
            yield json.dumps({"url": root + "/api/public/v1", "id": creds.client_id,
                              "secret": creds.client_secret})  # fmt: skip
    finally:
        plane.close()


def test_a_remote_control_plane_is_named_with_its_url_and_organization(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, served: str
) -> None:
    server = json.loads(served)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("AIRBYTE_API_URL", server["url"])
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", server["id"])
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", server["secret"])
    text = cli("plan", "config", "--allow-local-credentials")
    assert text.code == 0, text.err
    assert text.out.splitlines()[0] == (
        f"Control plane: {server['url']}, organization {ORG_ID} (from AIRBYTE_API_URL)"
    )
    as_json = cli("plan", "config", "--output", "json", "--allow-local-credentials").out
    assert json.loads(as_json)["target"] == {
        "controlPlane": "remote",
        "organizationId": ORG_ID,
        "url": server["url"],
        "urlFrom": "AIRBYTE_API_URL",
    }
    assert server["secret"] not in "".join(cli.printed)
    assert not (cli.state / "controlplane").exists()


@pytest.fixture
def git_config_repo(cli: Cli) -> Iterator[str]:
    remote = Remote(cli.root / "git")
    files = {
        str(p.relative_to(cli.config)): p.read_text() for p in sorted(cli.config.rglob("*.yaml"))
    }
    remote.commit(files, "example organisation")
    remote.push("main")
    yield remote.url
    remote.close()
