"""Placeholders: what ``flexctl import`` writes where the API cannot say a value, or where it
guessed one, so that nothing is guessed silently.

A placeholder is a string value ``CHANGE-ME`` (unknown: write the value) or
``CHANGE-ME:<guess>`` (a guess: keep it by deleting the ``CHANGE-ME:`` prefix, or write the
right value). Each sits under a ``# CHANGE-ME: why`` comment. The loader reports every one as
"fill in" at its value's ``file:line:col`` instead of the schema error it would otherwise
cause (``CHANGE-ME`` is no URL, no secrets-manager block), and the document counts as failed
until they are gone.

Pure: values in, paths out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.config.desired import KeyPath

PLACEHOLDER = "CHANGE-ME"
GUESS_PREFIX = PLACEHOLDER + ":"


def unknown() -> str:
    """The value of something the API cannot tell."""
    return PLACEHOLDER


def guess(value: str) -> str:
    """``value``, marked as a guess to confirm."""
    return GUESS_PREFIX + value


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and (value == PLACEHOLDER or value.startswith(GUESS_PREFIX))


def may_hold(text: str) -> bool:
    """Whether a YAML file of ``text`` can hold a placeholder; False means ``placeholders`` of
    each of its documents finds none, so the loader skips that walk. Exact: YAML makes a
    string that is not in the text only through escapes (a double-quoted ``\\x43``, an
    escaped line break), which need a backslash; folding lines puts a space or a newline in."""
    return PLACEHOLDER in text or "\\" in text


def placeholders(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every placeholder in a document, with its key path, in document order."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from placeholders(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from placeholders(value, (*path, index))
    elif is_placeholder(data):
        yield path, str(data)


def covers(marks: list[tuple[KeyPath, str]], loc: tuple[Any, ...]) -> bool:
    """A schema error at ``loc`` is the placeholder's doing (at or under a placeholder)."""
    return any(tuple(loc[: len(path)]) == path for path, _ in marks)


def message(path: KeyPath, value: str) -> str:
    where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).removeprefix(".")
    if value == PLACEHOLDER:
        return (
            f"fill in {where}: flexctl import could not read it from the API (the CHANGE-ME "
            "comment above it says what belongs here)"
        )
    return (
        f"fill in {where}: flexctl import guessed {value.removeprefix(GUESS_PREFIX)!r}; "
        f"delete the '{GUESS_PREFIX}' prefix to keep it, or write the right value"
    )
