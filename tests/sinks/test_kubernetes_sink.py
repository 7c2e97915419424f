"""The kubernetes sink against a real local HTTP server speaking the Secret/Namespace API,
through the real kubernetes client and a kubeconfig written by the test."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest

from reconciler.errors import SinkError
from reconciler.sinks import DataplaneCredentials, sink_for
from reconciler.sinks.kube import KubeconfigClientFactory
from reconciler.statedir import StateDir
from tests.render.conftest import load
from tests.sinks.kubeserver import FakeKube, write_kubeconfig

ENV = {
    "INITECH_VAULT_TOKEN": "vault-token-1",
    "INITECH_MINIO_KEY": "minio-key",
    "INITECH_MINIO_SECRET": "minio-secret",
}
CREDS = DataplaneCredentials("dp-id-1", "client-id-1", "client-secret-1")


def _sink(tmp_path: Path, server_url: str):  # type: ignore[no-untyped-def]
    desired = load("none-minio")
    dataplane = desired.dataplanes[0]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"onprem-syd": server_url})
    return sink_for(
        desired,
        dataplane,
        state_dir=StateDir(tmp_path / "state"),
        kube=KubeconfigClientFactory(kubeconfig, retries=0),
        env=ENV,
    )


def test_create_in_missing_namespace_then_read_and_delete(tmp_path: Path) -> None:
    with FakeKube() as kube:
        sink = _sink(tmp_path, kube.url)
        assert sink.read() is None
        sink.write(CREDS)
        assert "airbyte-syd" in kube.namespaces
        stored = kube.secrets[("airbyte-syd", "syd-credentials")]
        decoded = {k: base64.b64decode(v).decode() for k, v in stored["data"].items()}
        assert decoded == {
            "DATAPLANE_CLIENT_ID": "client-id-1",
            "DATAPLANE_CLIENT_SECRET": "client-secret-1",
            "AWS_ACCESS_KEY_ID": "minio-key",
            "AWS_SECRET_ACCESS_KEY": "minio-secret",
            "VAULT_AUTH_TOKEN": "vault-token-1",
        }
        assert stored["metadata"]["annotations"] == {"flexctl.io/dataplane-id": "dp-id-1"}
        assert ("POST", "/api/v1/namespaces") in kube.requests
        assert sink.read() == CREDS
        assert not (tmp_path / "state" / "credentials" / "onprem-au--syd.pending.yaml").exists()
        sink.delete()
        assert ("airbyte-syd", "syd-credentials") not in kube.secrets
        sink.delete()  # idempotent


def test_existing_secret_is_updated(tmp_path: Path) -> None:
    with FakeKube() as kube:
        kube.put_secret(
            "airbyte-syd",
            {
                "metadata": {"name": "syd-credentials"},
                "stringData": {"DATAPLANE_CLIENT_ID": "old", "STALE": "x"},
            },
        )
        sink = _sink(tmp_path, kube.url)
        sink.write(CREDS)
        assert ("PUT", "/api/v1/namespaces/airbyte-syd/secrets/syd-credentials") in kube.requests
        data = kube.secrets[("airbyte-syd", "syd-credentials")]["data"]
        assert base64.b64decode(data["DATAPLANE_CLIENT_ID"]).decode() == "client-id-1"
        assert "STALE" not in data
        assert sink.read() == CREDS


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_cluster_is_a_clear_error_and_loses_nothing(tmp_path: Path) -> None:
    other = tmp_path / "state" / "credentials" / "other.yaml"
    other.parent.mkdir(parents=True)
    other.write_text("someone else's\n")
    sink = _sink(tmp_path, f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    message = str(info.value)
    assert message.startswith(
        "DataPlane onprem-au/syd: kubernetes sink: cannot write Secret 'syd-credentials' in "
        "namespace 'airbyte-syd' (context 'onprem-syd'): cluster unreachable"
    )
    assert "client-secret-1" not in message and "vault-token-1" not in message
    assert info.value.__cause__ is not None
    pending = tmp_path / "state" / "credentials" / "onprem-au--syd.pending.yaml"
    assert str(pending) in message
    assert pending.stat().st_mode & 0o777 == 0o600
    assert "client-secret-1" in pending.read_text()
    assert other.read_text() == "someone else's\n"
    with pytest.raises(SinkError, match="cannot read Secret 'syd-credentials'"):
        sink.read()


def test_pending_copy_is_read_back_then_delivered(tmp_path: Path) -> None:
    with FakeKube() as kube:
        url = kube.url
    sink = _sink(tmp_path, url)  # server stopped: unreachable
    with pytest.raises(SinkError):
        sink.write(CREDS)
    with FakeKube() as kube:
        sink = _sink(tmp_path, kube.url)
        assert sink.read() == CREDS  # from the pending copy: nothing in the cluster yet
        sink.write(CREDS)
        assert not (tmp_path / "state" / "credentials" / "onprem-au--syd.pending.yaml").exists()


def test_describe_names_no_secret(tmp_path: Path) -> None:
    sink = _sink(tmp_path, "http://127.0.0.1:1")
    assert sink.describe() == "kubernetes Secret airbyte-syd/syd-credentials (context onprem-syd)"
    assert "client-secret-1" not in repr(CREDS)
