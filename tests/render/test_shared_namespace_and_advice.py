"""Issue 13 item 10: a namespace two data planes share is rendered once (never pruned), and
values the chart accepts without applying as asked (imagePullSecrets before chart 2.1,
image.registry) are warned about with the workaround, shown true with the real chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli.main import main
from reconciler.config.loader import load_directory
from reconciler.render import render_all
from reconciler.render.manifests import NEVER_PRUNE
from tests.render.realchart import PACKAGES, render_release
from tests.render.test_real_chart import Case, write_case

_YAML = YAML(typ="safe", pure=True)
PULL = {"imagePullSecrets": [{"name": "regcred"}]}
REGISTRY = {"image": {"registry": "registry.acme.example"}}


def _files(tmp_path: Path, case: Case) -> dict[str, str]:
    return render_all(load_directory(write_case(case, tmp_path)))


def test_a_shared_namespace_is_rendered_once_and_never_pruned(tmp_path: Path) -> None:
    files = _files(tmp_path, Case(two_in_namespace=True))
    namespaces = sorted(p for p in files if p.endswith("/namespace.yaml"))
    assert namespaces == ["aws-eu--primary/namespace.yaml"]
    namespace = _YAML.load(files[namespaces[0]])
    assert namespace["metadata"]["name"] == "airbyte"
    assert namespace["metadata"]["annotations"] == NEVER_PRUNE
    kustomization = _YAML.load(files["aws-eu--secondary/kustomization.yaml"])
    assert "namespace.yaml" not in kustomization["resources"]
    assert "rendered in folder `aws-eu--primary`" in files["aws-eu--secondary/README.md"]


def test_a_namespace_of_its_own_is_not_annotated(tmp_path: Path) -> None:
    files = _files(tmp_path, Case())
    namespace = _YAML.load(files["aws-eu--primary/namespace.yaml"])
    assert "annotations" not in namespace["metadata"]


def _advised(tmp_path: Path, overrides: dict[str, Any]) -> tuple[list[str], str]:
    config = write_case(Case(overrides=overrides), tmp_path)
    files = render_all(load_directory(config))
    return [str(config)], files["aws-eu--primary/README.md"]


def test_image_pull_secrets_are_warned_about_with_the_workaround(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, readme = _advised(tmp_path, PULL)
    assert "## Warnings" in readme
    assert "imagePullSecrets reach the launcher pod but not job pods" in readme
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "config", "--state-dir", str(tmp_path / "state")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config/flexctl.yaml:5:")  # the DataPlane: one JSON line
    assert ": warning: DataPlane aws-eu/primary: imagePullSecrets reach the launcher pod" in out
    assert "ServiceAccount 'primary-workload-launcher'" in out
    assert out.splitlines()[-1].startswith("valid:")


def test_image_registry_is_warned_about_in_validate_json_and_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [config], readme = _advised(tmp_path, REGISTRY)
    assert "put the registry into image.repository too" in readme
    state = ["--state-dir", str(tmp_path / "state")]
    assert main(["validate", config, "--output", "json", *state]) == 0
    [warning] = json.loads(capsys.readouterr().out)["warnings"]
    assert warning["severity"] == "warning"
    assert "registry.acme.example/airbyte/workload-launcher" in warning["message"]
    assert main(["render", config, "--out", str(tmp_path / "out"), *state]) == 0
    assert "warning: DataPlane aws-eu/primary: image.registry" in capsys.readouterr().err


def test_no_warning_without_those_values(tmp_path: Path) -> None:
    _, readme = _advised(tmp_path, {"logging": {"level": "debug"}})
    assert "## Warnings" not in readme


def _chart(
    helm: Path, tmp_path: Path, overrides: dict[str, Any], version: str, storage: str = "s3-keys"
) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = write_case(Case(overrides=overrides, storage=storage), tmp_path)
    desired = load_directory(config)
    values = _YAML.load(render_all(desired)["aws-eu--primary/values.yaml"])
    [dataplane] = desired.dataplanes
    chart = PACKAGES / f"airbyte-data-plane-{version}.tgz"
    if not chart.is_file():
        pytest.skip(f"SKIPPED LOUDLY: no chart package {chart}")
    return render_release(helm, values, dataplane=dataplane, tmp=tmp_path, chart=chart)


def test_the_real_chart_drops_pull_secrets_for_job_pods_before_2_1(
    helm: Path, tmp_path: Path
) -> None:
    old = _chart(helm, tmp_path / "old", PULL, "1.8.1")
    assert old.pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert old.value("JOB_KUBE_MAIN_CONTAINER_IMAGE_PULL_SECRET") == "map[name:regcred],"
    fixed = _chart(helm, tmp_path / "fixed", PULL, "2.1.1")
    assert fixed.value("JOB_KUBE_MAIN_CONTAINER_IMAGE_PULL_SECRET") == "regcred"


@pytest.mark.parametrize("version", ["1.8.1", "2.2.0"])
def test_the_real_chart_leaves_the_registry_off_the_launcher_image(
    helm: Path, tmp_path: Path, version: str
) -> None:
    release = _chart(helm, tmp_path, REGISTRY, version)
    assert release.container["image"].startswith("airbyte/workload-launcher:")
    orchestrator = release.value("CONTAINER_ORCHESTRATOR_IMAGE") or ""
    assert orchestrator.startswith("registry.acme.example/airbyte/container-orchestrator:")


GCS_WARNING = "GCS storage without credentialsJson"


def test_gcs_without_a_key_is_warned_about_at_the_storage_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nokey").mkdir()
    (tmp_path / "keyed").mkdir()
    config = write_case(Case(storage="gcs-no-key"), tmp_path / "nokey")
    readme = render_all(load_directory(config))["aws-eu--primary/README.md"]
    assert GCS_WARNING in readme
    state = ["--state-dir", str(tmp_path / "state")]
    assert main(["validate", str(config), "--output", "json", *state]) == 0
    [warning] = json.loads(capsys.readouterr().out)["warnings"]
    assert GCS_WARNING in warning["message"]
    assert warning["severity"] == "warning"
    assert "/secrets/gcp-creds/gcp.json" in warning["message"]
    keyed = write_case(Case(storage="gcs"), tmp_path / "keyed")
    assert GCS_WARNING not in render_all(load_directory(keyed))["aws-eu--primary/README.md"]


@pytest.mark.parametrize("version", ["1.8.1", "2.2.0"])
def test_the_real_chart_names_the_key_file_even_without_a_key(
    helm: Path, tmp_path: Path, version: str
) -> None:
    release = _chart(helm, tmp_path, {}, version, storage="gcs-no-key")
    assert release.value("GOOGLE_APPLICATION_CREDENTIALS") == "/secrets/gcp-creds/gcp.json"
