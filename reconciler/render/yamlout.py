"""Deterministic YAML text for everything render writes.

One configured ruamel instance: block style, no line folding, keys in the order given
(callers sort where order is not meaningful, see ``sorted_tree``). Helm parses values with
a YAML 1.1 reader, where ``yes``/``no``/``on``/``off`` are booleans and ``010`` is octal:
strings that a 1.1 reader would not read back as the same string are double-quoted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

# Plain scalars a YAML 1.1 reader (Helm, Go yaml.v2) resolves to something other than a string.
_YAML11_NON_STRING = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    [-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$""",
    re.VERBOSE,
)


def _represent_str(representer: SafeRepresenter, value: str) -> Any:
    if value == "" or _YAML11_NON_STRING.match(value):
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return representer.represent_str(value)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_str)
    return yaml


_YAML = _yaml()


def dump(
    data: Any, *, header: str = "", comments: Mapping[tuple[str, ...], str] | None = None
) -> str:
    """YAML text of ``data``, preceded by ``header`` lines as comments; each of ``comments``
    goes above the key at its path (a path through mappings; absent paths are skipped)."""
    buffer = io.StringIO()
    _YAML.dump(data, buffer)
    lines = buffer.getvalue().splitlines(keepends=True)
    for path, text in (comments or {}).items():
        at = _key_line(lines, path)
        if at is not None:
            pad = " " * (2 * (len(path) - 1))
            lines[at:at] = [f"{pad}# {line}".rstrip() + "\n" for line in text.splitlines()]
    head = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return head + "".join(lines)


def _key_line(lines: list[str], path: tuple[str, ...]) -> int | None:
    """Index of the line holding the last key of ``path`` (block mappings indent by 2)."""
    start, end, found = 0, len(lines), None
    for depth, key in enumerate(path):
        prefix = " " * (2 * depth) + f"{key}:"
        found = next(
            (
                i
                for i in range(start, end)
                if lines[i].rstrip("\n") == prefix or lines[i].startswith(prefix + " ")
            ),
            None,
        )
        if found is None:
            return None
        inner = " " * (2 * depth + 1)  # the key's block: lines indented deeper than the key
        start = found + 1
        end = next((i for i in range(start, end) if not lines[i].startswith(inner)), end)
    return found


def sorted_tree(data: Any) -> Any:
    """Mappings with keys sorted at every depth; list order is kept (it is meaningful)."""
    if isinstance(data, Mapping):
        return {key: sorted_tree(data[key]) for key in sorted(data, key=str)}
    if isinstance(data, list | tuple):
        return [sorted_tree(item) for item in data]
    return data


def manifest(
    api_version: str, kind: str, metadata: Mapping[str, Any], **body: Any
) -> dict[str, Any]:
    """A Kubernetes object in conventional order: apiVersion, kind, metadata, rest sorted."""
    out: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": sorted_tree(metadata),
    }
    for key in sorted(body):
        out[key] = sorted_tree(body[key])
    return out
