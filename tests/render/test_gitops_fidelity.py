"""Issue 13 item 10: what the GitOps objects look like for each engine and for two data planes
sharing a namespace."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from reconciler.config.loader import load_directory
from reconciler.render import render_all


def test_argocd_application_defaults_to_the_argocd_namespace(config_copy) -> None:  # type: ignore[no-untyped-def]
    root: Path = config_copy("eso-argocd")
    org = root / "organization.yaml"
    text = org.read_text()
    assert "  namespace: argocd\n" in text
    org.write_text(text.replace("  namespace: argocd\n", ""))
    desired = load_directory(root)
    assert desired.organization.gitops.namespace == "argocd"
    files = render_all(desired)
    apps = [
        YAML(typ="safe").load(text)
        for name, text in files.items()
        if name.endswith("application.yaml")
    ]
    assert apps and {app["metadata"]["namespace"] for app in apps} == {"argocd"}
