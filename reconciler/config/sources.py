"""Where config documents come from: a directory on disk or a commit in a Git repository.

The loader reads ``SourceFile`` values and never touches the file system or Git itself, so
the same loader serves ``flexctl validate DIR`` and ``flexctl plan --repo URL --ref REF``.
``display_path`` is what diagnostics print (relative to the config root, or
``<commit>:<path>`` for Git).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from reconciler.config.ignore import (
    IGNORE_FILE,
    MARKER_FILES,
    MARKER_PROBE_BYTES,
    MAX_IGNORE_BYTES,
    IgnoreFileError,
    IgnoreRules,
    is_output_marker,
)
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
    #: 1-based line of the problem inside the file (0: the path as a whole).
    line: int = 0


@dataclass(frozen=True)
class DirectoryScan:
    files: tuple[SourceFile, ...]
    problems: tuple[SourceProblem, ...]


def scan_directory(root: Path, *, exclude: Iterable[Path] = ()) -> DirectoryScan:
    """Every ``*.yaml``/``*.yml`` under ``root``, recursively, in sorted order, and every path
    that could not be read.

    Skipped: hidden directories (``.git``, ``.flexctl``), what the root's ``.flexctlignore``
    matches (``config.ignore``), flexctl's own output folders (a rendered data-plane folder,
    a state directory: recognised by their marker file), and the folders in ``exclude`` (the
    run's state directory and render output, when they sit inside ``root``). Nothing else is
    skipped silently: an unreadable directory or file is a problem (a skipped folder would
    look like deleted documents, and prune would delete what it declares), and so is an
    unusable ``.flexctlignore``. A symbolic link is followed only when it resolves inside
    ``root``; one that leads out is a problem naming the link. Only regular files are read
    (never a FIFO or a device). Oversized files are still yielded, truncated to
    ``MAX_FILE_BYTES + 1`` bytes, so the loader can report them.
    """
    return _Scanner(root, exclude=exclude).run()


class _Scanner:
    def __init__(self, root: Path, *, exclude: Iterable[Path]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.files: list[SourceFile] = []
        self.problems: list[SourceProblem] = []
        # Real paths already read: a link to a folder or file inside the root reads it once.
        self.seen: set[str] = {self.real_root}
        self.excluded = {os.path.realpath(p) for p in exclude}
        self.rules = self._rules()

    def run(self) -> DirectoryScan:
        self._walk(self.root, PurePath())
        return DirectoryScan(tuple(self.files), tuple(self.problems))

    def _rules(self) -> IgnoreRules:
        path = self.root / IGNORE_FILE
        if not os.path.lexists(path):
            return IgnoreRules()
        rel = PurePath(IGNORE_FILE)
        if not is_inside(os.path.realpath(path), self.real_root):
            self._problem(rel, "symbolic link to a path outside the config directory: refused")
            return IgnoreRules()
        try:
            return IgnoreRules.parse(read_regular(path, limit=MAX_IGNORE_BYTES))
        except UnsafeFile as exc:
            self._problem(rel, f"file {exc.reason}")
        except IgnoreFileError as exc:
            for problem in exc.problems:
                self.problems.append(SourceProblem(self._shown(rel), problem.message, problem.line))
        # An ignore file that cannot be used ignores nothing; its problem fails the load.
        return IgnoreRules()

    def _shown(self, rel: PurePath) -> str:
        return str(self.root / rel) if str(self.root) != "." else str(rel)

    def _problem(self, rel: PurePath, message: str) -> None:
        self.problems.append(SourceProblem(self._shown(rel), message))

    def _skipped_folder(self, path: Path, real: str) -> bool:
        """flexctl's own output: the run's state directory or render output, or a folder
        whose marker file says flexctl wrote it."""
        if real in self.excluded:
            return True
        for name in MARKER_FILES:
            try:
                head = read_regular(path / name, limit=MARKER_PROBE_BYTES)
            except UnsafeFile:
                continue  # no marker (or not a file): not flexctl's folder
            if is_output_marker(name, head):
                return True
        return False

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
        if is_dir and (entry.name.startswith(".") or self.rules.skips_folder(rel.as_posix())):
            return
        if not is_dir and (not is_config_file(entry.name) or self.rules.skips_file(rel.as_posix())):
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
            if not self._skipped_folder(path, real):
                self._walk(path, rel)
            return
        try:
            data = read_regular(path, limit=MAX_FILE_BYTES)
        except UnsafeFile as exc:
            self._problem(rel, f"file {exc.reason}")
            return
        self.files.append(SourceFile(display_path=self._shown(rel), data=data))
