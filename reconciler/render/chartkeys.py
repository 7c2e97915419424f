"""The keys each supported ``airbyte-data-plane`` chart reads, and their derivation.

Helm does no validation for this chart (it ships no ``values.schema.json``): a misspelt
override, or a key values.yaml declares but no template reads, is silently ignored.
``data/chart-<version>-keys.json`` lists every key path the chart's *templates* read
(``render.chartreads`` follows ``.Values`` through the rendered files, ``include``, ``with``
and variables), with its type, so render can reject what Helm would drop. The file is
derived from the published package, never hand-edited:

    python -m reconciler.render.gen_chartkeys \\
        ../shared/reference/airbyte-data-plane-chart/packages/airbyte-data-plane-*.tgz

Rules: a path is a key when a template reads it and reads nothing below it, or uses it
whole (``toYaml``, ``range``, printed): then anything below it is accepted. Its type is the
type of its default in values.yaml (``scalar`` for a string/number, ``boolean``,
``integer``, ``list``, ``map``); without a default, ``list`` when ranged over, ``map`` when
passed to ``toYaml``, else ``scalar``. ``sensitive`` marks a key only the chart's own Secret
reads (an inline credential). ``unread`` lists what values.yaml declares but no template
reads, each with the key that does work where there is one (``REDIRECTS``).
``tests/render/test_chartkeys.py`` re-derives every file from its package.

Pure (reading the package is ``render.gen_chartkeys``); must not import httpx, git or
kubernetes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from reconciler.render.chartreads import Reads, scan

#: values.yaml keys no template reads (and everything below them) -> the key that does what
#: they promise. Kept only where the target is a key, or a map of keys, of that version.
REDIRECTS: dict[str, str] = {
    "replicaCount": "workloadLauncher.replicaCount",
    "jobs.resources": "workloads.resources",
    "workloadLauncher.image": "image",
    "workloadLauncher.image.repository": "image.repository",
    "workloadLauncher.image.pullPolicy": "image.pullPolicy",
    "workloads.images.containerOrchestrator": "workloadLauncher.containerOrchestrator.image",
    "workloads.images.connectorSideCar": "workloadLauncher.connectorSidecar.image",
    "workloads.images.workloadInit": "workloadLauncher.workloadInit.image",
    "workloadLauncher.containerOrchestrator.secretName": (
        "workloads.containerOrchestrator.secretName"
    ),
}

TYPES = ("scalar", "boolean", "integer", "list", "map")


@dataclass(frozen=True)
class KeyInfo:
    type: str
    sensitive: bool = False


@dataclass(frozen=True)
class ChartKeys:
    """Lookup over one version's derived key list: leaf types, the maps that lead to them,
    and the declared-but-unread keys with their replacements."""

    version: str
    keys: Mapping[str, KeyInfo]
    #: dotted path -> the key to use instead ("" when there is none).
    unread: Mapping[str, str] = field(default_factory=dict)

    def info(self, path: Sequence[str]) -> KeyInfo | None:
        return self.keys.get(".".join(path))

    def children(self, path: Sequence[str]) -> list[str]:
        """Keys the chart reads directly under ``path`` (a map): for 'did you mean'."""
        return _children(self.keys, path)

    def is_map(self, path: Sequence[str]) -> bool:
        return bool(self.children(path))

    def unread_use(self, path: Sequence[str]) -> str | None:
        """For ``path`` at or below a key values.yaml declares but no template reads: the
        key to use instead ("" when there is none). None when ``path`` is not such a key."""
        for n in range(len(path), 0, -1):
            use = self.unread.get(".".join(path[:n]))
            if use is not None:
                return use
        return None

    def leads_to_unread(self, path: Sequence[str]) -> bool:
        """``path`` is a map in values.yaml whose every key is unread (``metrics.otel``)."""
        return bool(_children(self.unread, path))

    def has(self, path: Sequence[str]) -> bool:
        """The chart reads ``path``: a key, a map of keys, or below a free-form key."""
        if self.is_map(path) or self.info(path) is not None:
            return True
        above = (self.info(path[:n]) for n in range(1, len(path)))
        return any(info is not None and info.type in ("map", "list") for info in above)


def _children(keys: Mapping[str, object], path: Sequence[str]) -> list[str]:
    depth = len(path)
    prefix = tuple(path)
    found = {
        parts[depth]
        for parts in (key.split(".") for key in keys)
        if len(parts) > depth and tuple(parts[:depth]) == prefix
    }
    return sorted(found)


def _redirect(dotted: str) -> str:
    """The replacement of ``dotted`` or of the nearest declared key above it."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        target = REDIRECTS.get(".".join(parts[:n]))
        if target is not None:
            return target
    return ""


@cache
def load(version: str) -> ChartKeys:
    """The key list derived from package ``version`` (one of ``versions.PACKAGED``)."""
    text = resources.files("reconciler.render").joinpath(f"data/chart-{version}-keys.json")
    raw = json.loads(text.read_text(encoding="utf-8"))
    keys = {
        path: KeyInfo(type=item["type"], sensitive=bool(item.get("sensitive", False)))
        for path, item in raw["keys"].items()
    }
    unread = {path: item.get("use", "") for path, item in raw["unread"].items()}
    return ChartKeys(version=raw["version"], keys=keys, unread=unread)


# --------------------------------------------------------------------------- derivation


def derive(files: Mapping[str, str]) -> dict[str, Any]:
    """The JSON document for ``data/chart-<version>-keys.json`` from the package's files
    (path inside the chart -> text: ``Chart.yaml``, ``values.yaml``, ``templates/...``)."""
    yaml = YAML(typ="safe", pure=True)
    chart = yaml.load(files["Chart.yaml"]) or {}
    values = yaml.load(files.get("values.yaml", "")) or {}
    templates = {p: t for p, t in files.items() if p.startswith("templates/")}
    reads = scan(templates)
    secrets = {p for p, t in templates.items() if re.search(r"(?m)^kind:\s*Secret\s*$", t)}
    keys: dict[str, dict[str, Any]] = {}
    for path in _keys(reads):
        entry: dict[str, Any] = {"type": _type(path, values, reads.uses.get(path, set()))}
        if secrets and reads.read[path] <= secrets:
            entry["sensitive"] = True
        keys[".".join(path)] = entry
    unread: dict[str, dict[str, str]] = {}
    for path in _declared(values, ()):
        if not _covered(path, reads):
            dotted = ".".join(path)
            target = _redirect(dotted)
            exists = target in keys or _children(keys, target.split("."))
            unread[dotted] = {"use": target} if target and exists else {}
    return {
        "chart": str(chart.get("name", "airbyte-data-plane")),
        "version": str(chart["version"]),
        "generatedBy": "python -m reconciler.render.gen_chartkeys (do not edit by hand)",
        "keys": dict(sorted(keys.items())),
        "unread": dict(sorted(unread.items())),
    }


def _keys(reads: Reads) -> list[tuple[str, ...]]:
    """Read paths that are leaves: nothing below them read, or used whole; never one below
    a path used whole (it is covered by it)."""
    read = set(reads.read)
    parents = {path[:n] for path in read for n in range(1, len(path))}
    out = []
    for path in sorted(read):
        if any(path[:n] in reads.uses for n in range(1, len(path))):
            continue
        if path in parents and path not in reads.uses:
            continue
        out.append(path)
    return out


def _covered(path: tuple[str, ...], reads: Reads) -> bool:
    """A values.yaml entry some template reads: itself, a path above it used whole, or
    (an empty map such as ``cpu: {}``) paths below it."""
    if path in reads.read or any(path[:n] in reads.uses for n in range(1, len(path))):
        return True
    return any(other[: len(path)] == path for other in reads.read)


def _declared(node: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """values.yaml's leaves (an empty map is a leaf)."""
    if isinstance(node, dict) and (node or not path):
        return [p for key, child in node.items() for p in _declared(child, (*path, str(key)))]
    return [path]


def _type(path: tuple[str, ...], values: Mapping[str, Any], uses: set[str]) -> str:
    node: Any = values
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, int):
        return "integer"
    if isinstance(node, list):
        return "list"
    if isinstance(node, dict):
        return "map"
    if node is None and "range" in uses:
        return "list"
    if node is None and "toYaml" in uses:
        return "map"
    return "scalar"


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
