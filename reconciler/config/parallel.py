"""Reading a big config on two cores: a forked worker parses files while the loader validates.

Reading YAML is about half of a 100,000-workspace ``validate`` and the rest (models, rules,
digest) must stay in the one process that builds the ``DesiredState``, so the loader's loop
over files is pipelined: ``read_ahead`` forks one worker that runs the fast reader
(``yamlio.read_fast``) over the files in order and streams each file's values, ``(data, line,
column)`` per document as ``ParseCache`` keeps them, back through a pipe (pickled, one frame a
file). The loader takes them in file order and rebuilds the documents with
``yamlio.documents_from_values`` (``LazySpans`` over the text, as a fast read in the parent
makes), so everything after the read runs as for a file parsed in the parent: same models,
digest, diagnostics and positions. Whenever the loader would wait for the worker, it parses
the next file the worker has not started itself (``_Claims``), so both cores stay busy on any
split of the work.

Where only the parent reads: a file the worker declines (too big, not UTF-8 text, the fast
reader hands it to the exact reader) comes back as "yours", and the loader's own ``read``
reads it (the exact reader and every limit's message live there). A worker that dies, a broken
pipe or a frame that cannot be read ends the stream: the files not yet received are read by
the parent. The worker is killed and reaped whatever happens (``finally``), Ctrl-C included.

Used only above ``MIN_BYTES`` of files to parse (a small config pays no fork), where
``os.fork`` exists, with one thread alive (forking a threaded process can deadlock), on two or
more processors, and unless ``FLEXCTL_PARSE_WORKERS=0``. A parse cache's hits are read in the
parent and never sent; what the worker parsed is stored in the cache by the parent.

Must not: validate anything, resolve secrets, or let the worker write anything but its pipe
(it leaves by ``os._exit``: no atexit handler, no flushing of the parent's buffers).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
import signal
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import orjson

from reconciler.config import yamlio
from reconciler.config.parsecache import ParseCache
from reconciler.config.sources import MAX_FILE_BYTES, SourceFile
from reconciler.config.yamlio import RawDocument

__all__ = ["ENV_WORKERS", "MIN_BYTES", "Read", "read_ahead"]

ENV_WORKERS = "FLEXCTL_PARSE_WORKERS"
#: Bytes of files to parse below which everything is read in the parent: a fork, a pipe and
#: pickling cost a few milliseconds, parsing 4 MiB (about 10,000 workspaces) about half a second.
MIN_BYTES = 4 * 1024 * 1024

#: ``(text, bytes) -> documents``: the loader's reader of one file.
Read = Callable[[str, bytes], list[RawDocument]]
#: One document's fast-read values: (data, 0-based line, 0-based column).
Values = list[tuple[Any, int, int]]

#: A frame: its body's length, the file's position in the worker's list, how the body is
#: written (``_SKIPPED``: the parent took the file; ``_DECLINED``: the loader's ``read`` reads
#: it; ``_JSON``: orjson, where it writes the values back exactly, else ``_PICKLE``).
_HEADER = struct.Struct("!QqB")
_SKIPPED, _DECLINED, _JSON, _PICKLE = range(4)
#: The shared int64 at offset 0 of the claims map: the index (in the worker's list) of the
#: file the worker is on; one byte per file follows, set when the parent took that file.
_AT = struct.Struct("q")


def read_ahead(
    sources: Iterable[SourceFile], read: Read, *, cache: ParseCache | None = None
) -> contextlib.AbstractContextManager[Iterator[tuple[SourceFile, Read]]]:
    """``sources`` in order, each with the reader that gives its documents: ``read`` itself,
    or one that rebuilds what the worker (or the parent meanwhile) parsed (kept in ``cache``,
    the one ``read`` reads back from)."""
    files = tuple(sources)
    todo = [i for i, source in enumerate(files) if len(source.data) <= MAX_FILE_BYTES]
    if _wanted(files, todo) and cache is not None:  # the cache is asked of big configs only
        todo = [i for i in todo if not cache.holds(files[i].data)]
    if not _wanted(files, todo):
        return contextlib.nullcontext((source, read) for source in files)
    return _pipelined(files, todo, read, cache)


def _wanted(files: Sequence[SourceFile], todo: list[int]) -> bool:
    """Worth a worker, and safe to fork (see the module)."""
    if os.environ.get(ENV_WORKERS, "").strip() == "0" or not hasattr(os, "fork"):
        return False
    if not todo or sum(len(files[i].data) for i in todo) < MIN_BYTES:
        return False
    if threading.active_count() != 1:
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return cores >= 2


def values_of(source: SourceFile) -> Values | None:
    """The fast reader's values of one file, or None where the loader's own read must read it
    (the checks of ``loader._decode`` come first, so a refused file is never parsed here)."""
    data = source.data
    if len(data) > MAX_FILE_BYTES or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    documents = yamlio.read_fast(text)
    if documents is None:
        return None
    return [(d.data, d.line, d.column) for d in documents]


@contextlib.contextmanager
def _pipelined(
    files: Sequence[SourceFile], todo: list[int], read: Read, cache: ParseCache | None
) -> Iterator[Iterator[tuple[SourceFile, Read]]]:
    claims = _Claims(len(todo))
    try:
        stream = _Stream.fork(files, todo, claims)
    except OSError:  # no process to be had: read everything here
        yield ((source, read) for source in files)
        return
    try:
        yield _pairs(files, todo, read, cache, stream, claims)
    finally:
        stream.close()


def _pairs(
    files: Sequence[SourceFile],
    todo: list[int],
    read: Read,
    cache: ParseCache | None,
    stream: _Stream,
    claims: _Claims,
) -> Iterator[tuple[SourceFile, Read]]:
    taken: dict[int, tuple[Values | None, bool]] = {}  # parsed here while the worker was busy
    position = 0  # in todo: the next file the worker will send
    for index, source in enumerate(files):
        if position < len(todo) and todo[position] == index:
            values, body, finite = _next_values(files, todo, position, stream, claims, taken)
            position += 1
            yield source, _reader(values, read, cache, body, finite)
        else:
            yield source, read


def _next_values(
    files: Sequence[SourceFile],
    todo: list[int],
    position: int,
    stream: _Stream,
    claims: _Claims,
    taken: dict[int, tuple[Values | None, bool]],
) -> tuple[Values | None, bytes | None, bool]:
    """The values of ``todo[position]``: the worker's frame for it (reading every frame up to
    it), or what the parent parsed, parsing others the worker has not reached while it waits;
    with the frame's JSON body when the worker wrote them so (the cache's entry as it is), and
    whether every float read is finite (known of a JSON frame and of a parent's read)."""
    while position not in taken and not stream.ended and not stream.ready():
        ahead = claims.take(position)
        if ahead is None:
            break
        taken[ahead] = _counted(files[todo[ahead]])
    if position in taken:  # its frame (skipped, or parsed twice) is dropped with the next
        return _own(taken.pop(position))
    parsed, values, body = stream.receive(position)
    if not parsed:  # the worker skipped it (the parent took it), or the stream ended
        return _own(_counted(files[todo[position]]))
    return values, body, body is not None


def _counted(source: SourceFile) -> tuple[Values | None, bool]:
    """``values_of(source)``, and whether the read made no float that is not finite."""
    seen = yamlio.not_finite_count()
    values = values_of(source)
    return values, yamlio.not_finite_count() == seen


def _own(read: tuple[Values | None, bool]) -> tuple[Values | None, bytes | None, bool]:
    values, finite = read
    return values, None, finite


def _reader(
    values: Values | None,
    read: Read,
    cache: ParseCache | None,
    body: bytes | None = None,
    finite: bool = False,
) -> Read:
    if values is None:
        return read
    if cache is not None:
        return lambda text, data: cache.keep(text, data, values, body, finite=finite)
    return lambda text, data: yamlio.documents_from_values(text, values)


class _Claims:
    """Who parses which file, in memory both processes share: the worker writes where it is,
    the parent marks the files it took. Racing is harmless: a file both take is parsed twice
    (the parent keeps its own), one the worker skipped comes back as "yours"."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.map = mmap.mmap(-1, _AT.size + max(count, 1))
        _AT.pack_into(self.map, 0, -1)
        self._next = 0  # the parent's: below it, every file was taken or passed by the worker

    def worker_at(self, position: int) -> bool:
        """The worker starts ``position``: False when the parent already took it."""
        _AT.pack_into(self.map, 0, position)
        return not self.map[_AT.size + position]

    def take(self, waiting: int) -> int | None:
        """The parent takes the first file after the worker's and ``waiting``'s, or None."""
        at: int = max(self._next, waiting, _AT.unpack_from(self.map, 0)[0] + 1)
        if at >= self.count:
            return None
        self.map[_AT.size + at] = 1
        self._next = at + 1
        if _AT.unpack_from(self.map, 0)[0] >= at:
            return None  # the worker got there first: it sends it (or says it skipped it)
        return at


class _Stream:
    """The worker's process and the parent's end of its pipe: one frame per file of
    ``todo``, in order (``_HEADER``)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.ended = False
        self._buffer = bytearray()
        self._received = -1

    @classmethod
    def fork(cls, files: Sequence[SourceFile], todo: list[int], claims: _Claims) -> _Stream:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # pragma: no cover - the worker (coverage does not follow a fork)
            status = 1
            try:
                os.close(read_end)
                _work(files, todo, claims, write_end)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        return cls(pid, read_end)

    def ready(self) -> bool:
        """A whole frame can be read without waiting."""
        return self._frame_length() is not None or bool(select.select([self.fd], [], [], 0)[0])

    def receive(self, position: int) -> tuple[bool, Values | None, bytes | None]:
        """Frame ``position``'s ``(parsed, values, JSON body or None)`` (frames before it are
        read and dropped: those are files the parent took); not parsed once the stream
        ended."""
        while not self.ended and self._received < position:
            frame = self._frame()
            if frame is None:
                self._end()
                break
            at, how, body = frame
            self._received = at
            if at == position:
                try:
                    return _decoded(how, body)
                except Exception:  # a frame that cannot be read: the parent reads the rest
                    self._end()
        return False, None, None

    def _frame(self) -> tuple[int, int, bytes] | None:
        while (length := self._frame_length()) is None:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        _, at, how = _HEADER.unpack_from(self._buffer)
        body = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
        del self._buffer[: _HEADER.size + length]
        return at, how, body

    def _frame_length(self) -> int | None:
        if len(self._buffer) < _HEADER.size:
            return None
        length: int = _HEADER.unpack_from(self._buffer)[0]
        return length if len(self._buffer) >= _HEADER.size + length else None

    def _end(self) -> None:
        self.ended = True
        self._buffer.clear()

    def close(self) -> None:
        """Kill the worker (done or not) and reap it: no zombie, no orphan."""
        self._end()
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _work(
    files: Sequence[SourceFile], todo: list[int], claims: _Claims, fd: int
) -> None:  # pragma: no cover - runs in the worker
    """The worker: parse each file of ``todo`` the parent has not taken, and send it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once, quietly
    with os.fdopen(fd, "wb") as out:
        for position, index in enumerate(todo):
            how, body = _SKIPPED, b""
            if claims.worker_at(position):
                values, finite = _counted(files[index])
                how, body = encoded(values, finite=finite)
            out.write(_HEADER.pack(len(body), position, how))
            out.write(body)
            out.flush()


def encoded(values: Values | None, *, finite: bool) -> tuple[int, bytes]:
    """How a frame writes ``values`` (the fast reader's of one file; ``finite``: that read
    made no float that is not finite), and its body: orjson (several times cheaper both ways)
    unless it could not write them back exactly (a float that is not finite, an integer past
    64 bits), then pickle; values neither can write are the parent's to parse."""
    if values is None:
        return _DECLINED, b""
    if finite:
        with contextlib.suppress(orjson.JSONEncodeError):
            return _JSON, orjson.dumps(values)
    try:
        return _PICKLE, pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # not picklable (never for YAML's values): the parent parses it
        return _SKIPPED, b""


def _decoded(how: int, body: bytes) -> tuple[bool, Values | None, bytes | None]:
    """``(parsed, values, JSON body)`` of one frame (``encoded``): not parsed, the parent
    parses it. A JSON body is ``orjson.dumps(values)``: a parse cache stores it as it is."""
    if how == _JSON:
        return True, orjson.loads(body), body
    if how == _PICKLE:
        return True, pickle.loads(body), None  # noqa: S301 - our own worker's frames
    return how == _DECLINED, None, None
