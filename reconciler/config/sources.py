"""Where config documents come from: a directory on disk or a commit in a Git repository.

The loader reads ``SourceFile`` values and never touches the file system or Git itself, so
the same loader serves ``flexctl validate DIR`` and ``flexctl plan --repo URL --ref REF``.
``display_path`` is what diagnostics print (relative to the config root, or
``<commit>:<path>`` for Git).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
#: Refuse files larger than this before parsing: a config document is small.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    display_path: str
    data: bytes


def is_config_file(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES)


def iter_directory(root: Path) -> Iterator[SourceFile]:
    """Every ``*.yaml``/``*.yml`` under ``root``, recursively, in sorted order.

    Hidden directories (``.git``, ``.flexctl``) are skipped. Oversized files are still
    yielded, truncated to ``MAX_FILE_BYTES + 1`` bytes, so the loader can report them.
    """
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts[:-1]):
            continue
        if not path.is_file() or not is_config_file(path.name):
            continue
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        yield SourceFile(display_path=str(root / rel) if str(root) != "." else str(rel), data=data)
