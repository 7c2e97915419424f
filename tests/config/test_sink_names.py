"""Issue 17 item 3: names derived from region and data-plane names cannot collide."""

from __future__ import annotations

import itertools
from pathlib import Path

from reconciler.config.loader import load_sources
from reconciler.config.models import dataplane_stem
from reconciler.config.sources import SourceFile
from reconciler.sinks import sink_for
from reconciler.statedir import StateDir

from .conftest import BROKEN

ORGANIZATION = (BROKEN / "dangling-workspace-region" / "organization.yaml").read_bytes()


def _config(*pairs: tuple[str, str]) -> list[SourceFile]:
    regions = sorted({region for region, _ in pairs})
    docs = [f"apiVersion: flexctl/v1\nkind: Region\nname: {r}\njurisdiction: US\n" for r in regions]
    docs += [
        f"apiVersion: flexctl/v1\nkind: DataPlane\nname: {name}\nregion: {region}\n"
        f"cluster: {{kubeContext: prod, namespace: ns{i}, releaseName: airbyte}}\n"
        for i, (region, name) in enumerate(pairs)
    ]
    return [
        SourceFile("organization.yaml", ORGANIZATION),
        SourceFile("dataplanes.yaml", "---\n".join(docs).encode()),
    ]


def test_stems_are_injective() -> None:
    names = ["a", "b", "a-b", "a--b", "b--c", "c", "a--b--c", "A--B"]
    pairs = [(r, d.lower()) for r, d in itertools.product(names, names)]
    stems = {dataplane_stem(r, d).lower() for r, d in pairs}
    assert len(stems) == len({(r.lower(), d) for r, d in pairs})
    # Names without "--" in the region keep the stem they always had.
    assert dataplane_stem("aws-us-east-1", "us-east-1-primary") == (
        "aws-us-east-1--us-east-1-primary"
    )


def test_names_that_used_to_share_a_file_get_their_own(tmp_path: Path) -> None:
    desired = load_sources(_config(("a--b", "c"), ("a", "b--c")))
    state = StateDir(tmp_path)
    described = {sink_for(desired, dp, state_dir=state).describe() for dp in desired.dataplanes}
    assert described == {
        f"file {tmp_path}/credentials/a__b--c.yaml",
        f"file {tmp_path}/credentials/a--b--c.yaml",
    }
