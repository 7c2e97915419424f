"""Writing the rendered files under ``--out`` and checking a folder on disk against them.

The only module of ``render`` that touches the file system (and nothing else: no network,
git or kubernetes). Ownership rule: a top-level folder under ``--out`` belongs to flexctl
only if it holds the marker file (``render.MARKER_FILE``), and then only the files the
marker lists. Folders of data planes still in the config are rewritten; a marked folder
whose data plane is gone is removed file by file; anything else is the user's and is
never deleted (``--check`` still reports extra files inside flexctl's folders).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reconciler.errors import RenderError
from reconciler.render.render import MARKER_FILE, marker_files


@dataclass(frozen=True)
class TreeDiff:
    differ: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    @property
    def stale(self) -> bool:
        return bool(self.differ or self.missing or self.extra)

    def lines(self) -> list[str]:
        return (
            [f"differs: {p}" for p in self.differ]
            + [f"missing: {p}" for p in self.missing]
            + [f"extra:   {p}" for p in self.extra]
        )


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    #: Files inside flexctl's folders that flexctl did not write: left alone, reported.
    kept: tuple[str, ...] = ()


def _folders(files: Mapping[str, str]) -> set[str]:
    folders = set()
    for rel in files:
        parts = PurePosixPath(rel).parts
        if len(parts) < 2 or any(p in ("", ".", "..") for p in parts) or rel.startswith("/"):
            raise RenderError(f"refusing to write {rel!r}: not a file inside a data-plane folder")
        folders.add(parts[0])
    return folders


def _files_under(folder: Path, out: Path) -> list[str]:
    return sorted(
        p.relative_to(out).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _marker(folder: Path) -> list[str] | None:
    path = folder / MARKER_FILE
    if not path.is_file():
        return None
    return marker_files(path.read_text(encoding="utf-8", errors="replace"))


def _stale_folders(out: Path, rendered: set[str]) -> list[Path]:
    if not out.is_dir():
        return []
    return sorted(
        child
        for child in out.iterdir()
        if child.is_dir() and child.name not in rendered and _marker(child) is not None
    )


def check_tree(out: Path, files: Mapping[str, str]) -> TreeDiff:
    """How ``out`` differs from ``files``: changed, missing and extra files, sorted."""
    folders = _folders(files)
    differ, missing, extra = [], [], []
    for rel, text in sorted(files.items()):
        path = out / rel
        if not path.is_file():
            missing.append(rel)
        elif path.read_bytes() != text.encode("utf-8"):
            differ.append(rel)
    for folder in sorted(folders):
        if (out / folder).is_dir():
            extra += [rel for rel in _files_under(out / folder, out) if rel not in files]
    for stale in _stale_folders(out, folders):
        extra += _files_under(stale, out)
    return TreeDiff(tuple(differ), tuple(missing), tuple(sorted(extra)))


def unified_diff(out: Path, files: Mapping[str, str], diff: TreeDiff) -> list[str]:
    """What ``write_tree`` would change, as a unified diff (``a/`` on disk, ``b/`` rendered),
    file by file in ``diff``'s order; an extra file is shown as removed."""
    lines: list[str] = []
    for rel in sorted({*diff.differ, *diff.missing, *diff.extra}):
        path = out / rel
        old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        new = files.get(rel, "")
        lines += difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{rel}" if rel not in diff.missing else "/dev/null",
            tofile=f"b/{rel}" if rel in files else "/dev/null",
        )
    return [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]


def write_tree(out: Path, files: Mapping[str, str]) -> WriteReport:
    """Make ``out`` hold ``files``; remove what flexctl wrote earlier and no longer renders."""
    folders = _folders(files)
    if out.exists() and not out.is_dir():
        raise RenderError(f"--out {out} exists and is not a directory")
    written: list[str] = []
    removed: list[str] = []
    kept: list[str] = []
    for folder in sorted(folders):
        previous = _marker(out / folder) or []
        for name in previous:
            rel = f"{folder}/{name}"
            if rel not in files and _inside(out / folder, name):
                removed += _unlink(out, rel)
    for rel, text in sorted(files.items()):
        path = out / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(rel)
    for folder in sorted(folders):
        kept += [rel for rel in _files_under(out / folder, out) if rel not in files]
    for stale in _stale_folders(out, folders):
        for name in [*(_marker(stale) or []), MARKER_FILE]:
            if _inside(stale, name):
                removed += _unlink(out, f"{stale.name}/{name}")
        _prune_empty(stale)
        if stale.exists():
            kept += _files_under(stale, out)
    return WriteReport(tuple(written), tuple(sorted(set(removed))), tuple(sorted(kept)))


def _inside(folder: Path, name: str) -> bool:
    # A hand-edited marker must not make flexctl delete outside its folder.
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _unlink(out: Path, rel: str) -> list[str]:
    path = out / rel
    if path.is_file() or path.is_symlink():
        path.unlink()
        return [rel]
    return []


def _prune_empty(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
