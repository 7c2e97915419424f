"""file and env-file sinks: 0600, valid Secret manifest, read back, incomplete Secret
reported without losing the client secret, stored credentials readable in one call."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.errors import SinkError
from reconciler.render.kube_schema import validate_manifest
from reconciler.sinks import DataplaneCredentials, sink_for, stored_credentials
from reconciler.statedir import StateDir
from tests.render.conftest import load

CREDS = DataplaneCredentials("dp-id", "client-id-x", "client-secret-x")


def test_file_sink_writes_a_private_valid_secret(tmp_path: Path) -> None:
    desired = load("example")
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "us-east-1-primary")
    state = StateDir(tmp_path / ".flexctl")
    sink = sink_for(desired, dataplane, state_dir=state, env={})
    path = state.path("credentials", "aws-us-east-1--us-east-1-primary.yaml")
    assert sink.describe() == f"file {path}"
    assert sink.read() is None
    sink.write(CREDS)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (state.root / ".gitignore").read_text().endswith("*\n")
    manifest = YAML(typ="safe", pure=True).load(path.read_text())
    assert validate_manifest(manifest) == []
    assert manifest["kind"] == "Secret" and "data" not in manifest
    assert manifest["metadata"]["name"] == "airbyte-dataplane-credentials"
    assert manifest["metadata"]["namespace"] == "airbyte-dataplane"
    assert manifest["stringData"] == {
        "DATAPLANE_CLIENT_ID": "client-id-x",
        "DATAPLANE_CLIENT_SECRET": "client-secret-x",
        # instance profiles: the keys must exist (non-optional secretKeyRefs), empty
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SECRET_MANAGER_ACCESS_KEY_ID": "",
        "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY": "",
    }
    assert sink.read() == CREDS
    sink.delete()
    assert sink.read() is None


def test_unresolvable_reference_keeps_the_credentials(tmp_path: Path) -> None:
    desired = load("eso-argocd")
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "batch")
    sink = sink_for(desired, dataplane, state_dir=StateDir(tmp_path), env={"GLOBEX_S3_KEY_ID": "k"})
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value) == (
        f"DataPlane gcp-europe-west1/batch: credentials stored in {sink.describe()}, but the "
        "Secret is incomplete: key AWS_SECRET_ACCESS_KEY left out: DataPlane "
        "gcp-europe-west1/batch: storage.s3.secretAccessKey: environment variable "
        "GLOBEX_S3_SECRET is not set; key SECRET_STORE_GCP_CREDENTIALS left out: DataPlane "
        "gcp-europe-west1/batch: secretsManager.googleSecretManager.credentials: environment "
        "variable GLOBEX_GSM_CREDENTIALS is not set"
    )
    assert sink.read() == CREDS


def test_env_file_sink(tmp_path: Path) -> None:
    desired = load("eso-argocd")
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "primary")
    state = StateDir(tmp_path / "state")
    env = {"GLOBEX_GCS_CREDENTIALS": '{\n "type": "gcs"}', "GLOBEX_GSM_CREDENTIALS": "gsm-x"}
    sink = sink_for(desired, dataplane, state_dir=state, env=env)
    path = state.path("airbox", "primary.env")
    assert sink.describe() == f"env-file {path}"
    with pytest.raises(SinkError) as info:
        sink.write(CREDS)
    assert str(info.value).endswith(
        "but the Secret is incomplete: key GOOGLE_APPLICATION_CREDENTIALS_JSON left out: its "
        "value has a line break; key gcp.json left out: its value has a line break"
    )
    assert path.stat().st_mode & 0o777 == 0o600
    lines = path.read_text().splitlines()
    # every key of the Secret the chart reads, so --from-env-file builds a complete one
    assert lines[1:] == [
        "DATAPLANE_ID=dp-id",
        "DATAPLANE_CLIENT_ID=client-id-x",
        "DATAPLANE_CLIENT_SECRET=client-secret-x",
        "SECRET_STORE_GCP_CREDENTIALS=gsm-x",
    ]
    assert sink.read() == CREDS
    with pytest.raises(SinkError, match="contains a line break"):
        sink.write(DataplaneCredentials("dp-id", "a\nb", "c"))


def test_tampered_file_is_an_error(tmp_path: Path) -> None:
    desired = load("example")
    dataplane = desired.dataplanes[0]
    state = StateDir(tmp_path)
    sink = sink_for(desired, dataplane, state_dir=state, env={})
    sink.write(CREDS)
    path = next(state.root.glob("credentials/*.yaml"))
    path.write_text("kind: ConfigMap\n")
    with pytest.raises(SinkError, match="not a Secret manifest"):
        sink.read()


def test_stored_credentials_for_every_dataplane_in_one_call(tmp_path: Path) -> None:
    desired = load("example")
    state = StateDir(tmp_path)
    first = sorted(desired.dataplanes, key=lambda d: d.region)[0]
    sink_for(desired, first, state_dir=state, env={}).write(CREDS)
    assert stored_credentials(desired, state_dir=state) == {
        "aws-ap-southeast-2/ap-southeast-2-primary": CREDS,
        "aws-us-east-1/us-east-1-primary": None,
    }
