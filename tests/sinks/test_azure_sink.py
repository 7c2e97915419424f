"""azure-key-vault sink through azure-keyvault-secrets and azure-identity against the local
Key Vault + Entra ID emulation over HTTPS (tests/servers/azurekv.py; Microsoft ships no
local server): one JSON secret at the templated name, read back, a service principal's
client secret by reference and DefaultAzureCredential from the environment; soft delete
and recovery; permission refused, a refused login, unreachable vault or token endpoint, an
untrusted certificate, a different read-back; never a value in a message."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from reconciler.config.models import AzureKeyVaultSink, CredentialSink, SinkType
from reconciler.errors import SinkError
from reconciler.sinks import DataplaneCredentials
from reconciler.sinks.managed import ManagedSink
from tests.servers.azurekv import OFFICER, USER, WRITER, Application, AzureKeyVault
from tests.servers.procs import free_port

from .test_managed_sinks import CREDS, EXPECTED, SECRET, Tampered, managed_sink

DP = "DataPlane aws-us-east-1/us-east-1-primary"
NAME = "airbyte-aws-us-east-1--us-east-1-primary"


def _sink(
    tmp_path: Path, vault_url: str, env: dict[str, str], auth: dict[str, object], **kw: object
) -> ManagedSink:
    config = AzureKeyVaultSink.model_validate({"vaultUrl": vault_url, "auth": auth, **kw})
    sink = CredentialSink(type=SinkType.AZURE_KEY_VAULT, azure_key_vault=config)
    return managed_sink(tmp_path, sink, env)


def _client_secret(kv: AzureKeyVault, app: Application) -> dict[str, object]:
    return {
        "method": "client-secret",
        "tenantId": app.tenant_id,
        "clientId": app.client_id,
        "clientSecret": {"env": "AZ_SECRET"},
        "authorityHost": kv.url,
    }


def _app_sink(
    tmp_path: Path, kv: AzureKeyVault, role: str, **kw: object
) -> tuple[ManagedSink, Application]:
    app = kv.application(role)
    env = {"AZ_SECRET": app.client_secret}
    return _sink(tmp_path, kv.url, env, _client_secret(kv, app), **kw), app


def test_write_read_overwrite_delete_recover(
    tmp_path: Path, azurekv: AzureKeyVault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sink, app = _app_sink(tmp_path, azurekv, OFFICER, tags={"team": "data"})
    assert sink.describe() == f"azure-key-vault {azurekv.url}/secrets/{NAME}"
    assert sink.read() is None
    sink.write(CREDS)
    assert sink.read() == CREDS
    stored = azurekv.secret(NAME)
    assert stored is not None and json.loads(stored.value) == EXPECTED
    assert stored.tags == {"team": "data"} and stored.content_type == "application/json"
    rotated = DataplaneCredentials("dp-id-2", "client-id-2", SECRET + "-2")
    sink.write(rotated)  # a new version of the same secret: the ExternalSecret reads latest
    assert sink.read() == rotated and len(stored.versions) == 2
    sink.delete()  # soft delete, waited for
    assert sink.read() is None and stored.deleted
    sink.delete()  # idempotent
    # The name stays taken while deleted: the next write recovers it and writes over it.
    sink.write(CREDS)
    assert sink.read() == CREDS and not stored.deleted and len(stored.versions) == 3
    assert ("POST", f"/deletedsecrets/{NAME}/recover", app.client_id) in azurekv.calls
    assert {who for method, path, who in azurekv.calls if path.startswith("/secrets")} == {
        "",  # the challenge: the first request of a client goes without a token
        app.client_id,
    }
    # The SDKs' own log lines go nowhere: every failure is a SinkError.
    assert not [r for r in caplog.records if r.name.startswith("azure")]


def test_default_azure_credential_from_the_environment(
    tmp_path: Path, azurekv: AzureKeyVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = azurekv.application(OFFICER)
    monkeypatch.setenv("AZURE_TENANT_ID", app.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", app.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", app.client_secret)
    sink = _sink(
        tmp_path,
        azurekv.url + "/",
        {},
        {"authorityHost": azurekv.url},
        name="fixed-{dataplane}",
    )
    assert sink.describe() == f"azure-key-vault {azurekv.url}/secrets/fixed-us-east-1-primary"
    sink.write(CREDS)
    assert sink.read() == CREDS
    assert azurekv.secret("FIXED-us-east-1-primary") is not None  # names fold case


def test_permission_refused_names_vault_and_secret(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    sink, app = _app_sink(tmp_path, azurekv, USER)
    assert sink.read() is None  # a Secrets User may read
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"{DP}: azure-key-vault {azurekv.url}/secrets/{NAME}: cannot write: permission denied"
    )
    assert azurekv.secret(NAME) is None
    assert SECRET not in str(info.value) and app.client_secret not in str(info.value)


def test_a_deleted_secret_that_may_not_be_recovered_is_explained(
    tmp_path: Path, azurekv: AzureKeyVault
) -> None:
    officer, _ = _app_sink(tmp_path, azurekv, OFFICER)
    officer.write(CREDS)
    officer.delete()
    writer, _ = _app_sink(tmp_path, azurekv, WRITER)
    with pytest.raises(SinkError) as info:
        writer.write(CREDS)
    assert str(info.value) == (
        f"{DP}: azure-key-vault {azurekv.url}/secrets/{NAME}: cannot write: a deleted secret "
        "of this name is kept by soft delete, and recovering it was refused (permission "
        "denied); recover or purge it, or grant flexctl the recover permission"
    )
    stored = azurekv.secret(NAME)
    assert stored is not None and stored.deleted


def test_a_token_the_vault_refuses_is_not_a_refused_login(
    tmp_path: Path, azurekv: AzureKeyVault
) -> None:
    """The vault answers 401 to a token it no longer accepts (revoked): the login worked,
    the vault said no, and the message says which of the two."""
    sink, _ = _app_sink(tmp_path, azurekv, OFFICER)
    assert sink.read() is None
    azurekv.revoke()
    with pytest.raises(SinkError) as info:
        sink.read()
    assert str(info.value) == (
        f"azure-key-vault {azurekv.url}/secrets/{NAME}: cannot read: not authenticated (the "
        "vault refused the token)"
    )


def test_wrong_client_secret_is_a_refused_login_without_values(
    tmp_path: Path, azurekv: AzureKeyVault, caplog: pytest.LogCaptureFixture
) -> None:
    app = azurekv.application(OFFICER)
    wrong = "canary-wrong-client-secret"
    sink = _sink(tmp_path, azurekv.url, {"AZ_SECRET": wrong}, _client_secret(azurekv, app))
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"{DP}: azure-key-vault {azurekv.url}/secrets/{NAME}: cannot write: cannot log in: "
        "the token request was refused (AADSTS7000215)"
    )
    for value in (wrong, app.client_secret, SECRET):
        assert value not in str(info.value) and value not in repr(info.value)
    assert azurekv.secret(NAME) is None
    # azure-identity logs the refusal at WARNING, which the CLI's stderr (or reconcile's
    # log) would show; it reaches no handler: the SinkError is the message.
    assert not [r for r in caplog.records if r.name.startswith("azure")]


def test_a_vault_in_another_tenant_is_refused(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    """The vault's challenge names its tenant; a credential for another one does not follow
    it (azure-identity's additionally_allowed_tenants stays empty)."""
    app = azurekv.application(OFFICER, tenant_id="00000000-0000-0000-0000-000000000001")
    sink = _sink(
        tmp_path, azurekv.url, {"AZ_SECRET": app.client_secret}, _client_secret(azurekv, app)
    )
    with pytest.raises(SinkError, match=rf"/secrets/{NAME}: cannot read: cannot log in: "):
        sink.read()


def test_no_usable_default_credential(
    tmp_path: Path, azurekv: AzureKeyVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without AZURE_* variables the chain tries the rest; none is usable here. The managed
    identity endpoint is pointed at a closed loopback port, so nothing leaves the machine."""
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("IDENTITY_ENDPOINT", closed)
    monkeypatch.setenv("IDENTITY_HEADER", "x")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "no-azure-cli"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    sink = _sink(tmp_path, azurekv.url, {}, {"authorityHost": azurekv.url})
    with pytest.raises(SinkError) as info:
        sink.read()
    message = str(info.value)
    assert message == (
        f"azure-key-vault {azurekv.url}/secrets/{NAME}: cannot read: cannot log in: "
        "DefaultAzureCredential got no token (tried EnvironmentCredential, "
        "WorkloadIdentityCredential, ManagedIdentityCredential); set AZURE_TENANT_ID, "
        "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or use a workload or managed identity"
    )
    assert azurekv.calls == [("GET", f"/secrets/{NAME}/", "")]  # only the challenge


def test_unreachable_vault_fails_fast_with_the_url(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    url = f"https://127.0.0.1:{free_port()}"
    app = azurekv.application(OFFICER)
    sink = _sink(tmp_path, url, {"AZ_SECRET": app.client_secret}, _client_secret(azurekv, app))
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"{DP}: azure-key-vault {url}/secrets/{NAME}: cannot write: {url} unreachable"
    )


def test_unreachable_token_endpoint_names_it(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    login = f"https://127.0.0.1:{free_port()}"
    app = azurekv.application(OFFICER)
    auth = _client_secret(azurekv, app) | {"authorityHost": login}
    sink = _sink(tmp_path, azurekv.url, {"AZ_SECRET": app.client_secret}, auth)
    with pytest.raises(SinkError) as info:
        sink.read()
    assert str(info.value) == (
        f"azure-key-vault {azurekv.url}/secrets/{NAME}: cannot read: cannot log in: "
        f"{login} unreachable"
    )


def test_untrusted_certificate_is_named(
    tmp_path: Path, azurekv: AzureKeyVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    sink, _ = _app_sink(tmp_path, azurekv, OFFICER)
    with pytest.raises(SinkError) as info:
        sink.read()
    assert str(info.value) == (
        f"azure-key-vault {azurekv.url}/secrets/{NAME}: cannot read: {azurekv.url}: TLS "
        "handshake failed (is its certificate trusted? a private CA goes in REQUESTS_CA_BUNDLE)"
    )


def test_different_read_back_is_an_error(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    sink, _ = _app_sink(tmp_path, azurekv, OFFICER)
    tampered = ManagedSink(sink._ctx, Tampered(sink.backend))  # type: ignore[arg-type]
    with pytest.raises(SinkError) as info:
        tampered.write(CREDS)
    assert str(info.value) == (
        f"{DP}: azure-key-vault {azurekv.url}/secrets/{NAME}: read back differs from what "
        "was written"
    )
    assert SECRET not in str(info.value)


def test_a_value_that_is_not_our_json_is_refused_without_echo(
    tmp_path: Path, azurekv: AzureKeyVault
) -> None:
    sink, _ = _app_sink(tmp_path, azurekv, OFFICER)
    sink.write(CREDS)
    stored = azurekv.secret(NAME)
    assert stored is not None
    stored.versions.append(("canary-not-json-" + SECRET, {}))
    with pytest.raises(SinkError) as info:
        sink.read()
    assert str(info.value) == (
        f"azure-key-vault {azurekv.url}/secrets/{NAME}: the stored secret is not a JSON "
        "object of strings"
    )


def test_missing_client_secret_reference_is_named(tmp_path: Path, azurekv: AzureKeyVault) -> None:
    app = azurekv.application(OFFICER)
    sink = _sink(tmp_path, azurekv.url, {}, _client_secret(azurekv, app))
    with pytest.raises(SinkError) as info:
        sink.read()
    assert "cannot log in" in str(info.value)
    assert "environment variable AZ_SECRET is not set" in str(info.value)


@pytest.mark.parametrize(
    "url",
    ["http://acme.vault.azure.net", "https://acme.vault.azure.net/secrets", "https://"],
)
def test_vault_url_must_be_an_https_host(url: str) -> None:
    with pytest.raises(ValueError, match="should match pattern"):
        AzureKeyVaultSink.model_validate({"vaultUrl": url})
