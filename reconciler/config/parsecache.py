"""The parse cache: each config file's plain values, kept by the sha256 of its bytes.

Reading YAML is most of ``validate`` and a third of a 10,000-workspace ``plan``, and a config
barely changes between runs (a CI job on every push, a CronJob every few minutes, a reviewer
re-running a plan). An unchanged file is read back from here instead of parsed: the values
the fast reader made of those exact bytes, decoded by orjson, many times faster. Everything
after the read (validation, positions, limits) runs as for a parsed file, so a cached run's
results and diagnostics are a parsed run's:

- only what the fast reader took is kept (its documents have no problems; a file the exact
  reader had to read, to report something, is read again every time), and only when orjson
  writes those values back exactly (it would turn ``.inf`` and ``.nan`` into null and cannot
  write integers past 64 bits: such a file is not kept);
- positions are never kept: a cached file's documents carry ``LazySpans`` over its text, and
  the exact reader reads that text the first time a diagnostic needs a line and column;
- the key is the file's bytes and everything that decides what they read as (this format,
  flexctl's version, the reader module's own source, PyYAML's and libyaml's versions): a new
  flexctl never reads an older one's entries;
- an entry that cannot be read back (truncated, not ours) is a miss, and is written again.

What is kept is what the config files hold, as values: never a resolved secret (the loader
never resolves ``{env: ...}`` or ``{file: ...}`` references, so the cache holds the
references). The folder is private (0700, entries 0600), entries are written to a temporary
file and renamed (runs at once share it safely), and a run that wrote entries trims the
folder to ``MAX_ENTRIES``, oldest first.

Where: ``FLEXCTL_CACHE_DIR``, else ``$XDG_CACHE_HOME/flexctl/parsed``, else
``~/.cache/flexctl/parsed``; ``FLEXCTL_NO_CACHE=1`` (or a folder that cannot be made or written)
turns it off: every file is parsed, nothing fails because of the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from reconciler.config import yamlio
from reconciler.config.yamlio import RawDocument

__all__ = ["ENV_CACHE_DIR", "ENV_NO_CACHE", "MAX_ENTRIES", "ParseCache", "cache_from_env"]

ENV_CACHE_DIR = "FLEXCTL_CACHE_DIR"
ENV_NO_CACHE = "FLEXCTL_NO_CACHE"
#: Entries kept; a 100,000-workspace config is 1,000 files of a few tens of KiB each.
MAX_ENTRIES = 20_000
#: First bytes of every entry (this format); anything else is not an entry.
MAGIC = b"flexctl-parse-cache 1\n"


@cache
def _key_prefix() -> bytes:
    """What, besides a file's bytes, decides the values they read as."""
    import yaml

    from reconciler import __version__

    parts = [MAGIC, __version__.encode(), Path(yamlio.__file__).read_bytes()]
    parts.append(yaml.__version__.encode())
    parts.append(str(getattr(yaml, "__with_libyaml__", False)).encode())
    with contextlib.suppress(ImportError, AttributeError):
        from yaml import _yaml

        parts.append(str(_yaml.get_version_string()).encode())
    return hashlib.sha256(b"\0".join(parts)).digest()


class ParseCache:
    """``read_documents`` with the values of unchanged files read back from ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        #: Files read back / parsed and kept / parsed and not kept, this run.
        self.hits = 0
        self.writes = 0
        self.misses = 0
        self._usable = True
        self._made = False

    def read_documents(self, text: str, data: bytes) -> list[RawDocument]:
        """The documents of ``text`` (``data`` its bytes), as ``yamlio.read_documents``."""
        entry = self._entry(data)
        if entry is None:
            return yamlio.read_documents(text)
        values = self._load(entry)
        if values is not None:
            self.hits += 1
            return yamlio.documents_from_values(text, values)
        seen = yamlio.not_finite_count()
        documents = yamlio.read_fast(text)
        if documents is None:
            self.misses += 1
            return yamlio.read_exact(text)
        finite = yamlio.not_finite_count() == seen
        self._store(entry, [[d.data, d.line, d.column] for d in documents], finite=finite)
        return documents

    def holds(self, data: bytes) -> bool:
        """An entry for ``data`` is there (whether it reads back is ``read_documents``'s
        question): the parallel reader parses only the files that have none."""
        entry = self._entry(data)
        return entry is not None and entry.is_file()

    def keep(
        self,
        text: str,
        data: bytes,
        values: list[tuple[Any, int, int]],
        body: bytes | None = None,
        *,
        finite: bool = False,
    ) -> list[RawDocument]:
        """The documents of the fast reader's ``values`` of ``text``, read elsewhere (the
        parallel reader's worker), kept as ``read_documents`` keeps a file it parsed.
        ``body``: the entry's body as the worker wrote it (``orjson.dumps(values)``, sent
        only where orjson writes them back exactly), stored as it is; ``finite``: the read
        made no float that is not finite (``yamlio.not_finite_count``), else the values are
        checked against what orjson reads back."""
        entry = self._entry(data)
        if entry is not None:
            # The worker's body is the entry: no rows to build for a dump that is not made.
            rows = [] if body is not None else [[v, line, column] for v, line, column in values]
            self._store(entry, rows, body, finite=finite)
        return yamlio.documents_from_values(text, values)

    def _entry(self, data: bytes) -> Path | None:
        """Where the entry of ``data`` is, or None while the cache is off."""
        if self._usable:
            try:
                prefix = _key_prefix()
            except OSError:  # the reader's source cannot be read: no key, no cache
                self._usable = False
        if not self._usable:
            return None
        return self.root / hashlib.sha256(prefix + data).hexdigest()

    def finish(self) -> None:
        """Trim the folder after a run that wrote entries (oldest written first)."""
        if self.writes and self._usable:
            with contextlib.suppress(OSError):
                _trim(self.root, MAX_ENTRIES)

    def _load(self, entry: Path) -> list[tuple[Any, int, int]] | None:
        try:
            blob = entry.read_bytes()
        except OSError:
            return None
        if not blob.startswith(MAGIC):
            return None
        try:
            values = orjson.loads(memoryview(blob)[len(MAGIC) :])
        except orjson.JSONDecodeError:
            return None
        if not isinstance(values, list) or not all(_is_document(v) for v in values):
            return None
        return [(v[0], v[1], v[2]) for v in values]

    def _store(
        self, entry: Path, values: list[list[Any]], body: bytes | None = None, *, finite: bool
    ) -> None:
        if body is None:
            try:
                body = orjson.dumps(values)
            except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate
                self.misses += 1
                return
            if not finite and orjson.loads(body) != values:
                self.misses += 1  # .inf, .nan or a float too large: written as null
                return
        try:
            if not self._made:
                self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._made = True
            _write_entry(entry, body)
        except OSError:
            self._usable = False  # read-only or full: parse from now on, never fail
            return
        self.writes += 1


def _write_entry(entry: Path, body: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC)
            out.write(body)
        os.replace(tmp, entry)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_document(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


#: A temporary file this old was left by a run that was killed while writing it.
STALE_TMP_SECONDS = 3600.0


def _trim(root: Path, keep: int) -> None:
    now = time.time()
    entries = []
    with os.scandir(root) as listing:
        for e in listing:
            if not e.is_file():
                continue
            if not e.name.startswith("."):
                entries.append(e)
            elif e.name.startswith(".tmp-") and now - e.stat().st_mtime > STALE_TMP_SECONDS:
                with contextlib.suppress(OSError):
                    os.unlink(e.path)
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for old in entries[: len(entries) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(old.path)


def cache_from_env(env: Mapping[str, str]) -> ParseCache | None:
    """The cache the environment asks for (see the module), or None when it is off."""
    if env.get(ENV_NO_CACHE, "").strip().lower() not in ("", "0", "false"):
        return None
    chosen = env.get(ENV_CACHE_DIR, "").strip()
    if chosen:
        return ParseCache(Path(chosen).expanduser())
    base = env.get("XDG_CACHE_HOME", "").strip()
    if base:
        return ParseCache(Path(base) / "flexctl" / "parsed")
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no passwd entry: nowhere to keep it
        return None
    return ParseCache(home / ".cache" / "flexctl" / "parsed")
