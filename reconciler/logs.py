"""Logging for a command: how loud (``-v``, ``FLEXCTL_LOG``), where to (stderr), and scrubbed.

Owns the one handler flexctl puts on the root logger and the filter in front of it, which
rewrites every record before it is formatted: the user-info of URLs goes (``redact.py``), and so
does every value registered with :func:`add_secret` (the API client registers its client
secret and each access token it receives). Tracebacks are formatted and scrubbed in the filter
too, so the debug traceback of a failed cycle cannot carry a secret either. Must not import
anything beyond the standard library and ``redact``: ``cli/main.py`` calls it on every start.

Levels:

=================  =========================  ===============================
setting            flexctl's loggers          other libraries (httpx, git...)
=================  =========================  ===============================
(default)          WARNING                    WARNING
``-v`` / info      INFO                       WARNING
``-vv`` / debug    DEBUG (tracebacks too)     INFO (httpx: one line a request)
``-vvv``           DEBUG                      DEBUG
=================  =========================  ===============================

``-v`` wins over ``FLEXCTL_LOG`` when both are given.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from typing import TextIO

from reconciler.errors import FlexctlError
from reconciler.redact import redact_userinfo

ENV = "FLEXCTL_LOG"
#: ``FLEXCTL_LOG`` value -> the verbosity ``-v`` counts would give.
NAMES: dict[str, int] = {"error": -1, "warning": 0, "info": 1, "debug": 2}
_REDACTED = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_installed: logging.Handler | None = None


def add_secret(value: str) -> None:
    """Never log ``value``. Very short values are ignored: they would redact ordinary words."""
    if len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """``text`` without URL user-info and without any registered secret value."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, _REDACTED)
    return redact_userinfo(text)


class ScrubFilter(logging.Filter):
    """Rewrites a record's message (and traceback) scrubbed; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a call with the wrong arguments: log what it said
            message = f"{record.msg} {record.args!r}"
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (the escaping writer of ``main``)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # StreamHandler.__init__ assigns it
        pass


def verbosity(count: int, env: Mapping[str, str]) -> int:
    """How loud: the ``-v`` count when given, else ``FLEXCTL_LOG``, else 0 (warnings)."""
    if count:
        return count
    value = env.get(ENV, "").strip().lower()
    if not value:
        return 0
    if value not in NAMES:
        raise FlexctlError(
            f"{ENV}={value!r} is not a log level: use one of {', '.join(sorted(NAMES))}"
        )
    return NAMES[value]


def configure(level: int) -> None:
    """Install (or replace) flexctl's stderr handler for verbosity ``level`` (see the table).

    The handler decides what is printed (``LevelFilter``); logger levels are lowered only as
    far as a louder setting needs, and left alone by default, so an embedding program (or a
    test's log capture) keeps the levels it set.
    """
    global _installed
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    levels = LevelFilter(level)
    handler = _StderrHandler()
    handler.addFilter(levels)
    handler.addFilter(ScrubFilter())
    detail = "%(levelname)s %(name)s: " if level >= 1 else ""
    handler.setFormatter(logging.Formatter(f"flexctl: {detail}%(message)s"))
    root.addHandler(handler)
    _installed = handler
    if level >= 1:
        root.setLevel(min(levels.ours, levels.theirs, root.getEffectiveLevel()))


class LevelFilter(logging.Filter):
    """flexctl's records from ``ours`` up, other libraries' from ``theirs`` up."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.ours = _LEVELS[max(-1, min(level, 3)) + 1]
        self.theirs = (
            logging.ERROR
            if level < 0
            else logging.DEBUG
            if level >= 3
            else logging.INFO
            if level == 2
            else logging.WARNING
        )

    def filter(self, record: logging.LogRecord) -> bool:
        mine = record.name == "reconciler" or record.name.startswith("reconciler.")
        return record.levelno >= (self.ours if mine else self.theirs)


_LEVELS = (logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG, logging.DEBUG)
