"""gcp-secret-manager sink through google-cloud-secret-manager (REST transport) against the
local Secret Manager emulation (tests/servers/gcpsm.py; Google ships no local server): one
JSON secret version at the templated id, read back, service-account auth by reference and
by Application Default Credentials; permission refused, unreachable, different read-back,
never a value in a message."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from reconciler.config.models import CredentialSink, GcpSecretManagerSink, SinkType
from reconciler.errors import SinkError
from reconciler.sinks import DataplaneCredentials
from reconciler.sinks.managed import ManagedSink
from tests.servers.gcpsm import ACCESSOR, ADMIN, GcpSecretManager, write_key
from tests.servers.procs import free_port

from .test_managed_sinks import CREDS, EXPECTED, SECRET, Tampered, managed_sink

DP = "DataPlane aws-us-east-1/us-east-1-primary"


def _sink(tmp_path: Path, endpoint: str, env: dict[str, str], **kw: object) -> ManagedSink:
    config = GcpSecretManagerSink.model_validate({"endpoint": endpoint, **kw})
    sink = CredentialSink(type=SinkType.GCP_SECRET_MANAGER, gcp_secret_manager=config)
    return managed_sink(tmp_path, sink, env)


def _project() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def test_write_read_overwrite_delete(tmp_path: Path, gcpsm: GcpSecretManager) -> None:
    project = _project()
    key = write_key(tmp_path / "sa.json", gcpsm.service_account(project, ADMIN))
    sink = _sink(
        tmp_path,
        gcpsm.url,
        {},
        project=project,
        credentials={"file": "sa.json"},
        location="europe-west3",
        labels={"team": "data"},
    )
    secret_id = "airbyte_aws-us-east-1_us-east-1-primary"
    name = f"projects/{project}/secrets/{secret_id}"
    assert sink.describe() == f"gcp-secret-manager at {gcpsm.url} {name}"
    assert sink.read() is None
    sink.write(CREDS)
    assert sink.read() == CREDS
    stored = gcpsm.secrets[(project, secret_id)]
    assert json.loads(stored.versions[-1]) == EXPECTED
    assert stored.labels == {"team": "data"}
    assert stored.replication == {"userManaged": {"replicas": [{"location": "europe-west3"}]}}
    rotated = DataplaneCredentials("dp-id-2", "client-id-2", SECRET + "-2")
    sink.write(rotated)  # a new version of the same secret: the ExternalSecret reads latest
    assert sink.read() == rotated and len(stored.versions) == 2
    sink.delete()
    assert sink.read() is None
    sink.delete()  # idempotent
    account = json.loads(key.read_text())["client_email"]
    assert {who for _, _, who in gcpsm.calls if project in _} == {account}


def test_application_default_credentials(
    tmp_path: Path, gcpsm: GcpSecretManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project()
    key = write_key(tmp_path / "adc.json", gcpsm.service_account(project, ADMIN))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    sink = _sink(tmp_path, gcpsm.url, {}, project=project, secretId="fixed-{dataplane}")
    sink.write(CREDS)
    assert gcpsm.secrets[(project, "fixed-us-east-1-primary")].replication == {"automatic": {}}
    assert sink.read() == CREDS


def test_permission_refused_names_sink_and_path(tmp_path: Path, gcpsm: GcpSecretManager) -> None:
    project = _project()
    write_key(tmp_path / "ro.json", gcpsm.service_account(project, ACCESSOR))
    sink = _sink(tmp_path, gcpsm.url, {}, project=project, credentials={"file": "ro.json"})
    assert sink.read() is None  # an accessor may read
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"{DP}: gcp-secret-manager at {gcpsm.url} projects/{project}/secrets/"
        "airbyte_aws-us-east-1_us-east-1-primary: cannot write: permission denied"
    )
    assert not gcpsm.secrets.get((project, "airbyte_aws-us-east-1_us-east-1-primary"))


def test_unknown_signer_is_not_authenticated(tmp_path: Path, gcpsm: GcpSecretManager) -> None:
    other = GcpSecretManager("http://unused")  # its accounts are unknown to the server
    write_key(tmp_path / "x.json", other.service_account("p", ADMIN))
    sink = _sink(tmp_path, gcpsm.url, {}, project="p", credentials={"file": "x.json"})
    with pytest.raises(SinkError, match=r"projects/p/secrets/.*: cannot read: not authenticated$"):
        sink.read()


def test_unreachable_fails_fast_with_the_url(tmp_path: Path, gcpsm: GcpSecretManager) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    write_key(tmp_path / "sa.json", gcpsm.service_account("p", ADMIN))
    sink = _sink(tmp_path, url, {}, project="p", credentials={"file": "sa.json"})
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"{DP}: gcp-secret-manager at {url} projects/p/secrets/"
        f"airbyte_aws-us-east-1_us-east-1-primary: cannot write: {url} unreachable "
        "(ConnectionError)"
    )


def test_different_read_back_is_an_error(tmp_path: Path, gcpsm: GcpSecretManager) -> None:
    project = _project()
    write_key(tmp_path / "sa.json", gcpsm.service_account(project, ADMIN))
    sink = _sink(tmp_path, gcpsm.url, {}, project=project, credentials={"file": "sa.json"})
    tampered = ManagedSink(sink._ctx, Tampered(sink.backend))  # type: ignore[arg-type]
    with pytest.raises(SinkError) as info:
        tampered.write(CREDS)
    assert str(info.value) == (
        f"{DP}: gcp-secret-manager at {gcpsm.url} projects/{project}/secrets/"
        "airbyte_aws-us-east-1_us-east-1-primary: read back differs from what was written"
    )
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "env:GCP_KEY is not a credentials JSON object"),
        (None, "environment variable GCP_KEY is not set"),
        ('{"type": "nonsense"}', "env:GCP_KEY has type 'nonsense'; use a 'service_account'"),
        ('{"type": "service_account"}', "env:GCP_KEY is not a usable service_account credentials"),
    ],
)
def test_bad_credentials_reference_is_named(
    tmp_path: Path, gcpsm: GcpSecretManager, content: str | None, expected: str
) -> None:
    env = {} if content is None else {"GCP_KEY": content}
    sink = _sink(tmp_path, gcpsm.url, env, project="p", credentials={"env": "GCP_KEY"})
    with pytest.raises(SinkError) as info:
        sink.read()
    assert "cannot log in" in str(info.value) and expected in str(info.value)
