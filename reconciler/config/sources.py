"""Where config documents come from: a directory on disk or a commit in a Git repository.

The loader reads ``SourceFile`` values and never touches the file system or Git itself, so
the same loader serves ``flexctl validate DIR`` and ``flexctl plan --repo URL --ref REF``.
``display_path`` is what diagnostics print (relative to the config root, or
``<commit>:<path>`` for Git).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath

from reconciler.config.safeio import UnsafeFile, is_inside, read_regular

YAML_SUFFIXES = (".yaml", ".yml")
#: Refuse files larger than this before parsing: a config document is small.
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    display_path: str
    data: bytes


def is_config_file(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES)


@dataclass(frozen=True)
class SourceProblem:
    """A path of the config directory that could not be read, and why."""

    display_path: str
    message: str


@dataclass(frozen=True)
class DirectoryScan:
    files: tuple[SourceFile, ...]
    problems: tuple[SourceProblem, ...]


def scan_directory(root: Path) -> DirectoryScan:
    """Every ``*.yaml``/``*.yml`` under ``root``, recursively, in sorted order, and every path
    that could not be read.

    Hidden directories (``.git``, ``.flexctl``) are skipped. Nothing else is skipped silently:
    an unreadable directory or file is a problem (a skipped folder would look like deleted
    documents, and prune would delete what it declares). A symbolic link is followed only when
    it resolves inside ``root``; one that leads out is a problem naming the link. Only regular
    files are read (never a FIFO or a device). Oversized files are still yielded, truncated to
    ``MAX_FILE_BYTES + 1`` bytes, so the loader can report them.
    """
    return _Scanner(root).run()


class _Scanner:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.files: list[SourceFile] = []
        self.problems: list[SourceProblem] = []
        # Real paths already read: a link to a folder or file inside the root reads it once.
        self.seen: set[str] = {self.real_root}

    def run(self) -> DirectoryScan:
        self._walk(self.root, PurePath())
        return DirectoryScan(tuple(self.files), tuple(self.problems))

    def _shown(self, rel: PurePath) -> str:
        return str(self.root / rel) if str(self.root) != "." else str(rel)

    def _problem(self, rel: PurePath, message: str) -> None:
        self.problems.append(SourceProblem(self._shown(rel), message))

    def _walk(self, directory: Path, rel: PurePath) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self._problem(rel, f"cannot read directory: {exc.strerror or type(exc).__name__}")
            return
        for entry in entries:
            self._entry(entry, rel / entry.name)

    def _entry(self, entry: os.DirEntry[str], rel: PurePath) -> None:
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows a link
        except OSError as exc:
            self._problem(rel, f"cannot be read: {exc.strerror or type(exc).__name__}")
            return
        if is_dir and entry.name.startswith("."):
            return
        if not is_dir and not is_config_file(entry.name):
            return
        real = os.path.realpath(path)
        if is_link:
            if not os.path.exists(real):
                self._problem(rel, "symbolic link to nothing (its target does not exist)")
                return
            if not is_inside(real, self.real_root):
                self._problem(
                    rel,
                    "symbolic link to a path outside the config directory: refused (copy "
                    "it into the config, or link to a path inside it)",
                )
                return
        if real in self.seen:
            return
        self.seen.add(real)
        if is_dir:
            self._walk(path, rel)
            return
        try:
            data = read_regular(path, limit=MAX_FILE_BYTES)
        except UnsafeFile as exc:
            self._problem(rel, f"file {exc.reason}")
            return
        self.files.append(SourceFile(display_path=self._shown(rel), data=data))
