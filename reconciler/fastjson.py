"""Decoding JSON bytes with orjson where it gives exactly what ``json.loads`` gives.

The workspace pages and the inventory of a plan over 10,000 workspaces are several MB of JSON
(issue 18 item 1); orjson reads them in about half the time. It differs from ``json.loads`` in
three ways, each guarded here, so that every answer (value or error) is ``json.loads``'s:

- an integer beyond 64 bits becomes a float: bytes holding a run of 19 or more digits (every
  integer outside 64 bits has one; any with 18 or fewer fits) are read by ``json``;
- it refuses what ``json`` reads (``NaN``, ``Infinity``, ``1e400``, lone surrogates, a UTF-8
  BOM, UTF-16/32) and what both refuse: any orjson error hands the bytes to ``json``, which
  gives its own value or raises its own error;
- it reads nesting up to 1,024 levels where ``json`` raises ``RecursionError`` near the
  interpreter's recursion limit: the bytes are read inside ``_WRAP`` extra arrays, so orjson
  refuses (and ``json`` reads) anything nested deeper than ``1024 - _WRAP`` levels, which
  ``json`` reads whenever the caller's stack is less than ``limit - 512`` frames deep. The
  wrapped value is unwrapped level by level; a level that is not a one-item list (bytes that
  are not one JSON value can make one) hands the bytes to ``json`` too.

Floats of up to 18 digits orjson rounds as ``float()`` does (checked on a million and a half
random and halfway values while writing this; the tests keep a sample). Must not: import
anything but the standard library and orjson.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["loads", "loads_utf8"]

#: Levels of list the bytes are read inside (orjson's own limit is 1,024 levels).
_WRAP = 512
_OPEN = b"[" * _WRAP
_CLOSE = b"]" * _WRAP
#: Every digit to ``9``, so ``_RUN in data.translate(_DIGITS)`` finds any run of 19 digits
#: (a C scan; a regular expression took longer than the decoding).
_DIGITS = bytes.maketrans(b"0123456789", b"9" * 10)
_RUN = b"9" * 19

_MISSING = object()


def loads(data: bytes) -> Any:
    """``json.loads(data)``: the same value, or the same exception."""
    value = _fast(data)
    return json.loads(data) if value is _MISSING else value


def loads_utf8(data: bytes) -> Any:
    """``json.loads(data.decode("utf-8"))``: the same value, or the same exception."""
    value = _fast(data)
    return json.loads(data.decode("utf-8")) if value is _MISSING else value


def _fast(data: bytes) -> Any:
    """orjson's value when it is ``json``'s; ``_MISSING`` when ``json`` must decide."""
    if _RUN in data.translate(_DIGITS):
        return _MISSING
    try:
        value = orjson.loads(_OPEN + data + _CLOSE)
    except orjson.JSONDecodeError:
        return _MISSING
    for _ in range(_WRAP):
        if type(value) is not list or len(value) != 1:
            return _MISSING
        value = value[0]
    return value
