"""Equal JSON values held once (memory of a plan over 100,000 workspaces, issue 18 item 5).

Must not: be used for values anyone changes in place (a shared value changed is changed
everywhere); import anything but the standard library and orjson (``api`` and ``core`` both
use it).
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["Shared"]


class Shared:
    """One object for equal JSON values: ``shared(value)`` is the first value seen equal to
    ``value`` (or ``value`` itself, the first time). For values nobody changes in place
    (essences, decoded list items): 100,000 workspaces with a handful of distinct notification
    settings then hold a handful of copies, not 100,000. Two values are one when their JSON is
    the same bytes and they compare equal (NaN, which JSON writes as null, never is)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, Any] = {}

    def __call__(self, value: Any) -> Any:
        try:
            key = orjson.dumps(value)
        except TypeError:  # not JSON (or an int past 64 bits): kept as it is
            return value
        seen = self._seen.setdefault(key, value)
        return seen if seen is value or seen == value else value
