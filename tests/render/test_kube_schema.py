"""The schema check catches what it is there for: unknown fields, data with plain text."""

from __future__ import annotations

from reconciler.render.kube_schema import validate_manifest
from reconciler.render.render import render_all
from tests.render.conftest import load


def test_typo_in_a_custom_resource_is_caught() -> None:
    files = render_all(load("example"))
    assert files  # rendered manifests are validated inside render_all
    release = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "x", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "r"}}},
            "valuesFrm": [],
        },
    }
    assert validate_manifest(release) == [
        "HelmRelease/x: spec: Additional properties are not allowed ('valuesFrm' was unexpected)"
    ]


def test_core_kinds_use_the_kubernetes_schemas() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"K": 1},
    }
    assert validate_manifest(secret) == [
        "Secret/s: stringData.K: 1 is not of type 'string', 'null'"
    ]
    assert validate_manifest(
        {"apiVersion": "x/v1", "kind": "Thing", "metadata": {"name": "t"}}
    ) == ["Thing/t: no schema for apiVersion 'x/v1' kind 'Thing'"]


def test_render_imports_no_network_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, reconciler.render, reconciler.cli.render; "
        "print(sorted(m for m in ('kubernetes', 'httpx', 'git') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
