"""The shipped key lists cannot drift from the charts: each is re-derived from its published
package (when the reference packages are present) and must be byte-identical; regenerate with
``python -m reconciler.render.gen_chartkeys`` (see reconciler/render/chartkeys.py). What the
lists say about the chart (keys read, keys refused and their replacements) is asserted too."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.render import chartkeys, chartversions
from reconciler.render.gen_chartkeys import DATA, read_package
from tests.render.conftest import CHART_REFERENCE

PACKAGES = CHART_REFERENCE / "packages"


def _package(version: str) -> Path:
    return PACKAGES / f"airbyte-data-plane-{version}.tgz"


needs_packages = pytest.mark.skipif(
    not _package("1.8.1").is_file(), reason="chart reference packages not present"
)


@needs_packages
@pytest.mark.parametrize("version", chartversions.PACKAGED)
def test_shipped_key_list_is_derived_from_the_package(version: str) -> None:
    derived = chartkeys.derive(read_package(_package(version)))
    shipped = (DATA / f"chart-{version}-keys.json").read_text(encoding="utf-8")
    assert chartkeys.dumps(derived) == shipped, (
        "regenerate: python -m reconciler.render.gen_chartkeys "
        "../shared/reference/airbyte-data-plane-chart/packages/*.tgz"
    )


#: values.yaml keys of 1.8.1 that no template reads (issue 13 item 9), with the key to use.
UNREAD_1_8_1 = {
    "replicaCount": "workloadLauncher.replicaCount",
    "jobs.resources.requests": "workloads.resources",
    "jobs.resources.limits": "workloads.resources",
    "workloadLauncher.image.repository": "image.repository",
    "workloadLauncher.image.pullPolicy": "image.pullPolicy",
    "workloads.images.containerOrchestrator": "workloadLauncher.containerOrchestrator.image",
    "dataPlane.id": "",
    "dataPlane.serviceAccountEmail": "",
    "metrics.otel.collector.endpoint": "",
    "metrics.otel.resourceAttributes": "",
    "secretsManager.enabled": "",
    "java.opts": "",
    "workloadApiServer.bearerToken": "",
}


def test_keys_values_yaml_declares_but_no_template_reads_are_unread() -> None:
    keys = chartkeys.load("1.8.1")
    for dotted, use in UNREAD_1_8_1.items():
        path = tuple(dotted.split("."))
        assert keys.unread_use(path) == use, dotted
        assert not keys.has(path), dotted
    assert len(keys.unread) == 30


@pytest.mark.parametrize("version", chartversions.PACKAGED)
def test_every_replacement_is_a_key_of_its_version(version: str) -> None:
    keys = chartkeys.load(version)
    for dotted, use in keys.unread.items():
        assert not keys.has(tuple(dotted.split("."))), dotted
        if use:
            assert keys.has(tuple(use.split("."))), (dotted, use)


def test_keys_the_templates_read() -> None:
    keys = chartkeys.load("1.8.1")
    for path in (
        "secretName",
        "serviceAccount.name",
        "storage.bucket.activityPayload",
        "storage.s3.region",
        "storage.s3.accessKeyIdSecretKey",
        "secretsManager.awsSecretManager.region",
        "secretsManager.awsSecretManager.kmsArn",
        "dataPlane.clientIdSecretKey",
        "workloadLauncher.replicaCount",
        "workloads.resources.mainContainer.cpu.request",
    ):
        assert keys.info(tuple(path.split("."))) is not None, path
    # Not read by 1.8.1 (notes §5.6), and not even declared: plain unknown keys.
    assert keys.info(("secretsManager", "awsSecretManager", "kms")) is None
    assert keys.info(("secretsManager", "awsSecretManager", "authenticationType")) is None
    assert keys.unread_use(("secretsManager", "awsSecretManager", "kms")) is None
    # Free-form (used whole by toYaml / range): any content below is accepted.
    assert keys.info(("workloadLauncher", "nodeSelector")).type == "map"  # type: ignore[union-attr]
    assert keys.has(("workloadLauncher", "nodeSelector", "kubernetes.io/os"))
    assert not keys.has(("storage", "s3", "region", "below-a-string"))
    assert keys.info(("secretsManager", "awsSecretManager", "tags")).type == "list"  # type: ignore[union-attr]
    # Only the chart's own Secret reads it: an inline credential.
    assert keys.info(("dataPlane", "clientSecret")).sensitive  # type: ignore[union-attr]
    assert not keys.info(("dataPlane", "clientSecretSecretKey")).sensitive  # type: ignore[union-attr]


def test_what_each_version_adds() -> None:
    def has(version: str, dotted: str) -> bool:
        return chartkeys.load(version).has(tuple(dotted.split(".")))

    for version, added in (
        ("2.0.1", ("storage.bucket.auditLogging", "workloadLauncher.management.port")),
        ("2.1.1", ("java.opts", "logging.platformLogFormat")),
        ("2.2.0", ("namespaceOverride",)),
    ):
        before = chartversions.PACKAGED[chartversions.PACKAGED.index(version) - 1]
        for dotted in added:
            assert has(version, dotted) and not has(before, dotted), (version, dotted)
    # 2.2.0 declares an infra worker that no template deploys.
    assert chartkeys.load("2.2.0").unread_use(("infraWorker", "replicaCount")) == ""
    assert chartversions.line_of("1.8.1").buckets == (  # type: ignore[union-attr]
        "activityPayload",
        "log",
        "state",
        "workloadOutput",
    )
    assert "auditLogging" in chartversions.line_of("2.2.7").buckets  # type: ignore[union-attr]
