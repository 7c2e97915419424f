"""vault (OpenBao dev server) and aws-secrets-manager (moto server) sinks against the real
servers on loopback: one JSON secret at the templated path, read back, never a value in a
message; token and AppRole auth; permission refused, unreachable, different read-back."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import boto3
import hvac
import pytest

from reconciler.config.models import (
    AwsSecretsManagerSink,
    CredentialSink,
    SinkType,
    VaultAuth,
    VaultSink,
)
from reconciler.errors import SinkError
from reconciler.sinks import DataplaneCredentials, sink_for
from reconciler.sinks.managed import ManagedSink
from reconciler.statedir import StateDir
from tests.render.conftest import load
from tests.servers.conftest_plugin import OpenBao
from tests.servers.procs import free_port
from tests.servers.vaultadmin import READ_ONLY, token_with_policy

SECRET = f"canary-secret-{uuid.uuid4().hex}"
CREDS = DataplaneCredentials("dp-id-1", "client-id-1", SECRET)
EXPECTED = {
    "DATAPLANE_ID": "dp-id-1",
    "DATAPLANE_CLIENT_ID": "client-id-1",
    "DATAPLANE_CLIENT_SECRET": SECRET,
}


def managed_sink(tmp_path: Path, sink: CredentialSink, env: dict[str, str]) -> ManagedSink:
    """The example's us-east-1-primary with ``sink``; ``{file:}`` references from tmp_path."""
    desired = load("example")
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "us-east-1-primary")
    dataplane = dataplane.model_copy(update={"credentials": sink})
    made = sink_for(
        desired, dataplane, state_dir=StateDir(tmp_path / "state"), env=env, config_dir=tmp_path
    )
    assert isinstance(made, ManagedSink)
    return made


def _vault(address: str, path: str, auth: VaultAuth) -> CredentialSink:
    return CredentialSink(
        type=SinkType.VAULT, vault=VaultSink(address=address, path=path, auth=auth)
    )


def _token_auth() -> VaultAuth:
    return VaultAuth.model_validate({"method": "token", "token": {"env": "BAO_TOKEN"}})


def test_vault_token_write_read_delete(tmp_path: Path, openbao: OpenBao) -> None:
    base = f"flexctl-{uuid.uuid4().hex[:8]}"
    sink = managed_sink(
        tmp_path,
        _vault(openbao.url, f"{base}/{{region}}/{{dataplane}}", _token_auth()),
        {"BAO_TOKEN": openbao.root_token},
    )
    path = f"{base}/aws-us-east-1/us-east-1-primary"
    assert sink.describe() == f"vault {openbao.url} secret/{path}"
    assert sink.read() is None
    sink.write(CREDS)
    assert sink.read() == CREDS
    raw = hvac.Client(url=openbao.url, token=openbao.root_token).secrets.kv.v2
    stored = raw.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    assert stored["data"]["data"] == EXPECTED
    sink.delete()
    assert sink.read() is None
    sink.delete()  # idempotent


def test_vault_approle(tmp_path: Path, openbao: OpenBao) -> None:
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    mount = f"approle-{uuid.uuid4().hex[:8]}"
    base = f"flexctl-{uuid.uuid4().hex[:8]}"
    admin.sys.enable_auth_method("approle", path=mount)
    admin.sys.create_or_update_policy(
        name=mount,
        policy=f'path "secret/data/{base}/*" {{ capabilities = ["create", "update", "read"] }}',
    )
    admin.auth.approle.create_or_update_approle(mount, token_policies=[mount], mount_point=mount)
    role_id = admin.auth.approle.read_role_id(mount, mount_point=mount)["data"]["role_id"]
    secret_id = admin.auth.approle.generate_secret_id(mount, mount_point=mount)["data"]["secret_id"]
    auth = VaultAuth.model_validate(
        {"method": "approle", "roleId": {"env": "ROLE"}, "secretId": {"env": "SID"}, "mount": mount}
    )
    sink = managed_sink(
        tmp_path,
        _vault(openbao.url, f"{base}/{{dataplane}}", auth),
        {"ROLE": role_id, "SID": secret_id},
    )
    sink.write(CREDS)
    assert sink.read() == CREDS
    # the policy grants no delete: refused, named, no value
    with pytest.raises(SinkError) as info:
        sink.delete()
    assert str(info.value) == (
        f"vault {openbao.url} secret/{base}/us-east-1-primary: cannot delete: permission denied"
    )


def test_vault_permission_refused_names_sink_and_path(tmp_path: Path, openbao: OpenBao) -> None:
    token = token_with_policy(openbao, READ_ONLY)
    sink = managed_sink(
        tmp_path, _vault(openbao.url, "ro/{dataplane}", _token_auth()), {"BAO_TOKEN": token}
    )
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"DataPlane aws-us-east-1/us-east-1-primary: vault {openbao.url} "
        "secret/ro/us-east-1-primary: cannot write: permission denied"
    )
    assert SECRET not in str(info.value) and token not in str(info.value)


def test_vault_unreachable_fails_fast_with_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    sink = managed_sink(
        tmp_path, _vault(url, "x/{dataplane}", _token_auth()), {"BAO_TOKEN": "t-0000"}
    )
    with pytest.raises(SinkError) as info:
        sink.read()
    assert str(info.value) == (
        f"vault {url} secret/x/us-east-1-primary: cannot read: {url} unreachable (ConnectionError)"
    )


def test_missing_auth_reference_is_named(tmp_path: Path, openbao: OpenBao) -> None:
    sink = managed_sink(tmp_path, _vault(openbao.url, "x/{dataplane}", _token_auth()), {})
    with pytest.raises(SinkError, match="environment variable BAO_TOKEN is not set"):
        sink.read()


class Tampered:
    """A real backend whose read back answers something else (a concurrent writer)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def get(self) -> dict[str, str] | None:
        got = self.inner.get()  # type: ignore[attr-defined]
        return None if got is None else {**got, "DATAPLANE_CLIENT_SECRET": "other"}


def test_different_read_back_is_an_error(tmp_path: Path, openbao: OpenBao) -> None:
    sink = managed_sink(
        tmp_path,
        _vault(openbao.url, "rb/{dataplane}", _token_auth()),
        {"BAO_TOKEN": openbao.root_token},
    )
    tampered = ManagedSink(sink._ctx, Tampered(sink.backend))  # type: ignore[arg-type]
    with pytest.raises(SinkError) as info:
        tampered.write(CREDS)
    assert str(info.value) == (
        f"DataPlane aws-us-east-1/us-east-1-primary: vault {openbao.url} "
        "secret/rb/us-east-1-primary: read back differs from what was written"
    )


def _aws(name: str, **kw: object) -> CredentialSink:
    return CredentialSink(
        type=SinkType.AWS_SECRETS_MANAGER,
        aws_secrets_manager=AwsSecretsManagerSink.model_validate(
            {"region": "us-east-1", "name": name, **kw}
        ),
    )


def test_aws_write_read_overwrite_delete(tmp_path: Path, aws_env: str) -> None:
    base = f"flexctl-{uuid.uuid4().hex[:8]}"
    kms = boto3.client("kms", endpoint_url=aws_env).create_key()["KeyMetadata"]["KeyId"]
    sink = managed_sink(
        tmp_path, _aws(f"{base}/{{region}}/{{dataplane}}", kmsKeyId=kms, tags={"team": "data"}), {}
    )
    name = f"{base}/aws-us-east-1/us-east-1-primary"
    assert sink.describe() == f"aws-secrets-manager us-east-1 {name}"
    assert sink.read() is None
    sink.write(CREDS)
    assert sink.read() == CREDS
    sm = boto3.client("secretsmanager", endpoint_url=aws_env)
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == EXPECTED
    described = sm.describe_secret(SecretId=name)
    assert described["KmsKeyId"] == kms
    assert described["Tags"] == [{"Key": "team", "Value": "data"}]
    rotated = DataplaneCredentials("dp-id-2", "client-id-2", SECRET + "-2")
    sink.write(rotated)  # in place: the ExternalSecret keeps reading the same name
    assert sink.read() == rotated
    sink.delete()
    assert sink.read() is None


def test_aws_unreachable_endpoint_fails_fast_with_the_url(tmp_path: Path, aws_env: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    sink = managed_sink(tmp_path, _aws("x/{dataplane}", endpointUrl=url), {})
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"DataPlane aws-us-east-1/us-east-1-primary: aws-secrets-manager us-east-1 at {url} "
        f"x/us-east-1-primary: cannot write: endpoint unreachable ({url}/)"
    )


def test_aws_refused_write_is_named(tmp_path: Path, aws_env: str) -> None:
    # moto checks no IAM; a secret scheduled for deletion is a write the service refuses.
    base = f"k-{uuid.uuid4().hex[:8]}"
    sm = boto3.client("secretsmanager", endpoint_url=aws_env)
    sm.create_secret(Name=f"{base}/us-east-1-primary", SecretString="{}")
    sm.delete_secret(SecretId=f"{base}/us-east-1-primary", RecoveryWindowInDays=7)
    sink = managed_sink(tmp_path, _aws(f"{base}/{{dataplane}}"), {})
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    # moto accepts the put and refuses the read back; AWS refuses the put: both are named.
    assert re.fullmatch(
        f"DataPlane aws-us-east-1/us-east-1-primary: aws-secrets-manager us-east-1 "
        f"{base}/us-east-1-primary: cannot (write|read): InvalidRequestException",
        str(info.value),
    )
