"""Control characters never reach a terminal raw.

A name, an e-mail, a live object's display name or an error message from a server can carry
control characters: an ESC sequence that clears the screen or rewrites the line above (so a
plan shows something other than what it says), a carriage return that hides the start of a
line, or a bidirectional override that reverses what a reviewer reads. Every byte flexctl
writes to its standard streams therefore passes through :func:`escape_controls`:

- C0 controls other than newline and tab, and DEL, become ``\\xHH``;
- C1 controls, bidirectional embeddings/overrides/isolates, zero-width and other invisible
  format characters, and the line/paragraph separators become ``\\uHHHH``.

JSON stays valid through it: ``json.dumps`` already writes C0 controls as ``\\u00XX``, and
``\\uHHHH`` inside a JSON string is the same character again.

:func:`guarded_streams` puts an :class:`EscapingWriter` in front of ``sys.stdout`` and
``sys.stderr`` for the length of a command, so no output path can forget. Output that carries
flexctl's own colour codes (the text plan, the progress bar) escapes its pieces itself and
writes to :func:`raw` of the stream.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# C0 except \t (09) and \n (0a); DEL; C1; soft hyphen; Arabic letter mark; Mongolian vowel
# separator; zero-width and directional marks; line/paragraph separators; bidi embeddings,
# overrides and isolates; word joiner and invisible operators; BOM/zero-width no-break space;
# interlinear annotation and object replacement characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control or invisible character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)


def has_controls(text: str) -> bool:
    return _UNSAFE.search(text) is not None


class EscapingWriter:
    """A text stream that escapes what is written to it and delegates everything else."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def raw(stream: TextIO | EscapingWriter) -> TextIO:
    """The stream under an :class:`EscapingWriter`, for output that escapes its own pieces."""
    return stream.wrapped if isinstance(stream, EscapingWriter) else stream


@contextmanager
def guarded_streams() -> Iterator[None]:
    """Escape control characters in everything written to stdout and stderr meanwhile."""
    saved = sys.stdout, sys.stderr
    sys.stdout = EscapingWriter(saved[0])
    sys.stderr = EscapingWriter(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
