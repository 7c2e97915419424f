"""The config files of one commit's tree, by the rules a directory is read by.

``config.sources.scan_directory`` reads a directory; this reads a tree the same way, so a
config behaves the same checked out and read from Git: hidden folders are skipped, only
``*.yaml``/``*.yml`` blobs are documents, and a symbolic link (a blob of mode 120000 holding
its target's path) is followed only when it resolves inside the config root. A link that
leads out of it (an absolute target, ``..`` past the root, or past the repository), to
nothing, or round in a loop is a problem naming the link; nothing is skipped silently, since
a skipped folder would look like deleted documents and prune would delete what it declares.
A link to a file or folder that the walk reaches anyway is not read through the link (so
diagnostics name the target's own path); a link into a hidden folder is read once, under the
first link's path in sorted order. Submodules are not documents.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from git.objects import Blob, Tree

from reconciler.config.sources import SourceFile, SourceProblem, is_config_file

#: Links followed for one path before it counts as a loop (Linux's own limit).
MAX_HOPS = 40

_OUTSIDE = (
    "symbolic link to a path outside the config directory: refused (copy it into the config, "
    "or link to a path inside it)"
)
_NOTHING = "symbolic link to nothing (its target does not exist in this commit)"
_LOOP = f"symbolic link loop (more than {MAX_HOPS} links)"


class _Unresolved(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


@dataclass
class TreeWalk:
    """Walk ``root`` (the commit's whole tree) from the folder ``prefix`` ("" for all of it)."""

    root: Tree
    prefix: str
    display: Callable[[str], str]
    read: Callable[[Blob], bytes]
    #: Discovery rules (``.flexctlignore``, output markers) on paths relative to the root.
    skip_folder: Callable[[str, Tree], bool] = lambda _rel, _tree: False
    skip_file: Callable[[str], bool] = lambda _rel: False
    files: list[SourceFile] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def run(self, start: Tree) -> None:
        self._seen.add(self.prefix)
        self._walk(start, self.prefix)

    def _walk(self, tree: Tree, shown: str) -> None:
        for item in sorted(list(tree.trees) + list(tree.blobs), key=lambda i: str(i.name)):
            self._entry(item, posixpath.join(shown, str(item.name)) if shown else str(item.name))

    def _entry(self, item: Blob | Tree, shown: str) -> None:
        name = posixpath.basename(shown)
        obj: Blob | Tree = item
        real = str(item.path)
        if isinstance(item, Blob) and item.mode == Blob.link_mode:
            try:
                real, obj = self._resolve(posixpath.join(posixpath.dirname(real), _target(item)))
            except _Unresolved as why:
                self._problem(shown, why.message)
                return
            if not self._inside(real):
                self._problem(shown, _OUTSIDE)
                return
            if self._read_at_own_path(real, is_dir=isinstance(obj, Tree)):
                return  # read where it is: diagnostics name its own path
        is_dir = isinstance(obj, Tree)
        if is_dir and name.startswith("."):
            return
        if not is_dir and not is_config_file(name):
            return
        if self._skipped(self._rel(shown), obj):
            return
        if real in self._seen:
            return
        self._seen.add(real)
        if isinstance(obj, Tree):
            self._walk(obj, shown)
        else:
            self.files.append(SourceFile(display_path=self.display(shown), data=self.read(obj)))

    def _rel(self, path: str) -> str:
        return path[len(self.prefix) :].lstrip("/") if self.prefix else path

    def _skipped(self, rel: str, obj: Blob | Tree) -> bool:
        if isinstance(obj, Tree):
            return self.skip_folder(rel, obj)
        return self.skip_file(rel)

    def _read_at_own_path(self, real: str, *, is_dir: bool) -> bool:
        """Will the walk reach ``real`` without links (inside the root, not hidden, not
        ignored on the way)?"""
        rel = self._rel(real)
        parts = rel.split("/") if rel else []
        folders = parts if is_dir else parts[:-1]
        if any(part.startswith(".") for part in folders):
            return False
        for depth in range(1, len(folders) + 1):
            rel_folder = "/".join(folders[:depth])
            folder = self.root / posixpath.join(self.prefix, rel_folder)
            if isinstance(folder, Tree) and self.skip_folder(rel_folder, folder):
                return False
        return is_dir or (is_config_file(parts[-1]) and not self.skip_file(rel))

    def _inside(self, path: str) -> bool:
        return not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")

    def _resolve(self, path: str, hops: int = 1) -> tuple[str, Blob | Tree]:
        """``path`` (relative to the repository) with every link on the way followed."""
        if hops > MAX_HOPS:
            raise _Unresolved(_LOOP)
        path = posixpath.normpath(path)
        if path.startswith("/") or path == ".." or path.startswith("../"):
            raise _Unresolved(_OUTSIDE)
        if path == ".":
            return "", self.root
        current: Blob | Tree = self.root
        parts = path.split("/")
        for index, part in enumerate(parts):
            if not isinstance(current, Tree):
                raise _Unresolved(_NOTHING)
            try:
                child = current / part
            except KeyError:
                raise _Unresolved(_NOTHING) from None
            if not isinstance(child, Blob | Tree):
                raise _Unresolved(_NOTHING)  # a submodule: not in this repository
            if isinstance(child, Blob) and child.mode == Blob.link_mode:
                base = posixpath.dirname(str(child.path))
                rest = parts[index + 1 :]
                return self._resolve(posixpath.join(base, _target(child), *rest), hops + 1)
            current = child
        return path, current

    def _problem(self, shown: str, message: str) -> None:
        self.problems.append(SourceProblem(self.display(shown), message))


def _target(link: Blob) -> str:
    data: bytes = link.data_stream.read(4096)
    target = data.decode("utf-8", "replace")
    if target.startswith("/"):
        raise _Unresolved(_OUTSIDE)
    return target
