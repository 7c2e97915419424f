"""Reading files a config names without being fooled by what they are.

Owns two rules shared by the directory listing and ``{file: PATH}`` secrets: a path is used
only when it resolves inside the config root (symbolic links included), and only a regular
file is read, with a size limit, through an open that cannot block (a FIFO opened with
``O_NONBLOCK`` returns at once; ``fstat`` then refuses it). Must not decode or interpret what
it reads.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnsafeFile(Exception):
    """A path that is not read; ``reason`` completes "PATH ..." for a diagnostic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_inside(path: str, real_root: str) -> bool:
    """``path`` (already resolved) is ``real_root`` or below it."""
    return path == real_root or path.startswith(real_root.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: Path, *, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path`` (one more than allowed, so the
    caller can tell "too large" from "exactly at the limit")."""
    try:
        before = os.stat(path)
    except OSError as exc:
        raise UnsafeFile(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(before.st_mode):
        # Not opened at all: opening a device can have effects of its own.
        raise UnsafeFile(f"is {_kind(before.st_mode)}, not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnsafeFile(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped between stat and open
            raise UnsafeFile(f"is {_kind(opened.st_mode)}, not a regular file")
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnsafeFile(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
