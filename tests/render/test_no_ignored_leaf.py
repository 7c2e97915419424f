"""No values key flexctl renders is ignored by the chart: change each leaf once, and the real
chart's output must change (issue 13). One case per packaged chart version, holding every
leaf flexctl writes for a storage type and secrets-manager type; a failed render counts as a
change (the key is read)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config.loader import load_directory
from reconciler.render import render_all
from tests.render.realchart import chart_package
from tests.render.test_real_chart import Case, write_case

_YAML = YAML(typ="safe", pure=True)

#: version -> the cases whose leaves are changed (together: every storage and manager block).
CASES = {
    "1.8.1": [
        Case(chart="1.8.1", storage="gcs", secrets_manager="aws-keys"),
        Case(chart="1.8.1", storage="minio", secrets_manager="azure-client-secret"),
        Case(chart="1.8.1", storage="s3-keys", secrets_manager="google-key"),
        Case(chart="1.8.1", storage="azure", secrets_manager="vault-token"),
    ],
    "2.2.0": [
        Case(chart="2.2.0", storage="gcs", secrets_manager="aws-keys"),
        Case(chart="2.2.0", storage="s3-keys", secrets_manager="vault-token"),
    ],
}


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _changed(values: Any, path: tuple[Any, ...]) -> Any:
    copy = json.loads(json.dumps(values))
    node = copy
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    if isinstance(old, bool):
        node[path[-1]] = not old
    elif isinstance(old, int):
        node[path[-1]] = old + 1
    elif isinstance(old, str):
        node[path[-1]] = old + "-changed"
    else:
        node[path[-1]] = "changed"
    return copy


def _template(helm: Path, chart: Path, values: Any, tmp: Path, release: str) -> str | None:
    file = tmp / "values.json"
    file.write_text(json.dumps(values))
    done = subprocess.run(
        [str(helm), "template", release, str(chart), "-n", "airbyte", "-f", str(file)],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


@pytest.mark.parametrize("version", sorted(CASES))
def test_every_leaf_flexctl_renders_changes_the_chart_output(
    version: str, helm: Path, tmp_path: Path
) -> None:
    chart = chart_package(version)
    # A leaf is ignored when changing it changes nothing in every case that renders it (the
    # top-level secretName is only a fallback where every section names its Secret).
    ignored: dict[str, bool] = {}
    for n, case in enumerate(CASES[version]):
        root = tmp_path / str(n)
        root.mkdir()
        files = render_all(load_directory(write_case(case, root)))
        values = _YAML.load(files["aws-eu--primary/values.yaml"])
        before = _template(helm, chart, values, root, "primary")
        assert before is not None
        for path in _leaves(values):
            after = _template(helm, chart, _changed(values, path), root, "primary")
            key = ".".join(map(str, path))
            ignored[key] = ignored.get(key, True) and after == before
    assert len(ignored) > 40
    assert [key for key, unread in sorted(ignored.items()) if unread] == []
