"""The example's commented-out Vault sink (the one CI needs) is a valid config as written:
uncommented in place of the file sink, it loads, and its folder renders an ExternalSecret
reading the path it names."""

from __future__ import annotations

import shutil
from pathlib import Path

from ruamel.yaml import YAML

from reconciler.config.loader import load_directory
from reconciler.config.models import SinkType
from reconciler.render.render import render_dataplane

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
DP = "dataplanes/aws-us-east-1.yaml"


def test_the_commented_vault_sink_loads_and_renders(tmp_path: Path) -> None:
    config = Path(shutil.copytree(EXAMPLE, tmp_path / "config"))
    text = (config / DP).read_text()
    commented = text.split("replace the two lines above with:\n")[1].split("\n#\n# apply")[0]
    block = "\n".join(line.removeprefix("#   ") for line in commented.splitlines()[1:])
    assert block.startswith("credentials:\n  type: vault\n")
    (config / DP).write_text(text.replace("credentials:\n  type: file\n", block + "\n", 1))
    desired = load_directory(config)
    dataplane = next(dp for dp in desired.dataplanes if dp.name == "us-east-1-primary")
    assert desired.credentials_for(dataplane).type is SinkType.VAULT
    files, problems = render_dataplane(desired, dataplane)
    assert problems == []
    external = YAML(typ="safe", pure=True).load(files["externalsecret.yaml"])
    assert external["spec"]["secretStoreRef"] == {
        "name": "vault-airbyte",
        "kind": "ClusterSecretStore",
    }
    keys = {entry["remoteRef"]["key"] for entry in external["spec"]["data"]}
    assert keys == {"airbyte/dataplanes/aws-us-east-1/us-east-1-primary"}
