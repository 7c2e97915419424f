"""Suggestions ("did you mean"): the closest of fixed choices, and which inputs may be echoed.

Pure and dependency-free, so models, messages and cross-document rules share one rule.
Must not echo an arbitrary input: only a plain word (``plain``) can be quoted in a message,
since a value in the wrong key may be a pasted secret.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

#: A short word of letters, digits and ``_./-`` (fullmatch: "$" would allow a final "\n").
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_./-]{1,40}")

#: How alike (difflib ratio, case-folded) a typo and its suggestion must be.
CUTOFF = 0.6


def plain(value: object) -> bool:
    """True when ``value`` is a short plain word, safe to quote back to its author."""
    return isinstance(value, str) and _PLAIN_WORD.fullmatch(value) is not None


def yaml_type(value: Any) -> str:
    """What a YAML author wrote, by type only (what a message may say of any input)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value"


def closest(word: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The choice ``word`` most likely meant (compared case-insensitively), spelled as the
    choice is; a choice differing only in case always wins."""
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.lower(), choice)
    exact = folded.get(word.lower())
    if exact is not None:
        return exact
    close = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def hint(word: str, choices: Iterable[str], *, cutoff: float = CUTOFF) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    meant = closest(word, choices, cutoff=cutoff)
    return f" (did you mean '{meant}'?)" if meant is not None and meant != word else ""
