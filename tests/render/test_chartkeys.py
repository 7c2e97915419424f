"""The shipped key list cannot drift from the chart: re-derived from the reference chart
files (when present) it must be byte-identical; regenerate with
``python -m reconciler.render.gen_chartkeys`` (see reconciler/render/chartkeys.py)."""

from __future__ import annotations

from importlib import resources

import pytest
from ruamel.yaml import YAML

from reconciler.render import chartkeys
from tests.render.conftest import CHART_REFERENCE

needs_reference = pytest.mark.skipif(
    not (CHART_REFERENCE / "values.yaml").is_file(), reason="chart reference files not present"
)


def _shipped() -> str:
    path = resources.files("reconciler.render").joinpath("data/chart-1.8.1-keys.json")
    return path.read_text(encoding="utf-8")


@needs_reference
def test_shipped_key_list_is_derived_from_the_chart() -> None:
    derived = chartkeys.derive(
        (CHART_REFERENCE / "values.yaml").read_text(),
        (CHART_REFERENCE / "config.yaml").read_text(),
    )
    assert chartkeys.dumps(derived) == _shipped(), (
        "regenerate: python -m reconciler.render.gen_chartkeys --values ... --config ... --out ..."
    )


@needs_reference
def test_every_values_yaml_key_is_accepted() -> None:
    values = YAML(typ="safe", pure=True).load((CHART_REFERENCE / "values.yaml").read_text())
    keys = chartkeys.load()

    def walk(node: dict[str, object], path: tuple[str, ...]) -> None:
        for key, child in node.items():
            here = (*path, str(key))
            if keys.info(here) is not None:
                continue
            assert keys.is_map(here), ".".join(here)
            assert isinstance(child, dict)
            walk(child, here)

    walk(values, ())


def test_documented_keys_from_the_notes_are_present() -> None:
    keys = chartkeys.load()
    for path in (
        "secretName",
        "serviceAccount.name",
        "storage.bucket.activityPayload",
        "storage.s3.region",
        "storage.s3.accessKeyIdSecretKey",
        "secretsManager.awsSecretManager.region",
        "secretsManager.awsSecretManager.kmsArn",
        "dataPlane.clientIdSecretKey",
    ):
        assert keys.info(tuple(path.split("."))) is not None, path
    # Not read by 1.8.1 (notes §5.6): rejected so the user learns Helm would ignore it.
    assert keys.info(("secretsManager", "awsSecretManager", "kms")) is None
    assert keys.info(("secretsManager", "awsSecretManager", "authenticationType")) is None
    assert keys.info(("workloadLauncher", "nodeSelector")).type == "map"  # type: ignore[union-attr]
    assert keys.info(("dataPlane", "clientSecret")).sensitive  # type: ignore[union-attr]
