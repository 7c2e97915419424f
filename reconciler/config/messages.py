"""Pydantic validation errors phrased for a YAML author, and where each one points.

Must never put the offending input into a message: it may be a secret pasted into the wrong
key. The only exception is a choice among fixed words (an enum or literal), where a short,
plain value is echoed ("'S3' is not one of ...") because it cannot be a credential.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconciler.config.desired import KeyPath
from reconciler.config.suggest import hint, plain, yaml_type

#: Where a message points: the key itself, the value, or the mapping that lacks a key.
Anchor = Literal["key", "value", "parent"]

#: Patterns used by the models, said in words.
_PATTERN_WORDS = {
    r"^https?://[^\s]+$": "must be an http:// or https:// URL",
    r"^https://[^\s/?#@]+/?$": "must be an https:// URL with a host and no path",
    r"^[A-Z]{2,3}$": "must be a 2- or 3-letter upper-case code such as US, AU or EU",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "must be an environment variable name (letters, digits, '_')",
    r"^[0-9]+\.[0-9]+\.[0-9]+$": (
        "must be a version such as 1.8.1 (quote it if YAML reads a number)"
    ),
}


@dataclass(frozen=True)
class Phrased:
    message: str
    anchor: Anchor


#: YAML 1.1 (and other) spellings of a boolean that YAML 1.2 reads as strings or numbers.
_TRUE_WORDS = frozenset({"y", "yes", "on", "true", "1"})
_FALSE_WORDS = frozenset({"n", "no", "off", "false", "0"})


def _not_a_boolean(value: Any) -> str:
    """What stood where a boolean belongs, and the boolean it probably meant."""
    word = str(value).lower() if isinstance(value, str | int) else None
    meant = "true" if word in _TRUE_WORDS else "false" if word in _FALSE_WORDS else None
    if meant is None:
        return yaml_type(value)
    shown = repr(value) if isinstance(value, str) else str(value)
    return (
        f"{yaml_type(value)} {shown} (YAML 1.2: only true and false are booleans); "
        f"did you mean {meant}?"
    )


def _choices(expected: str) -> str:
    # pydantic writes "'a', 'b' or 'c'"; a list reads better in a YAML error.
    return expected.replace(" or ", ", ")


#: A quoted choice in pydantic's ``expected`` text.
_QUOTED = re.compile(r"'([^']*)'")


def _shown(value: Any) -> str | None:
    return repr(value) if plain(value) else None


def phrase(error: ErrorDetails, *, model: type[BaseModel]) -> Phrased:
    kind = error["type"]
    loc = error["loc"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    last = loc[-1] if loc else ""
    if kind == "missing":
        return Phrased(f"missing required key '{last}'", "parent")
    if kind == "extra_forbidden":
        return Phrased(_unknown_key(str(last), model=model, parent=loc[:-1]), "key")
    if kind in ("enum", "literal_error"):
        expected = _choices(str(ctx.get("expected", "")))
        shown = _shown(value)
        if shown is None:
            return Phrased(f"expected one of {expected}, found {yaml_type(value)}", "value")
        if "," in expected:
            meant = hint(str(value), _QUOTED.findall(expected))
            return Phrased(f"{shown} is not one of {expected}{meant}", "value")
        return Phrased(f"expected {expected}, found {shown}", "value")
    if kind == "string_type":
        quote = " (quote it)" if isinstance(value, int | float | bool) else ""
        return Phrased(f"expected a string, found {yaml_type(value)}{quote}", "value")
    if kind in ("bool_type", "bool_parsing"):
        return Phrased(f"expected true or false, found {_not_a_boolean(value)}", "value")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Phrased(f"expected a whole number, found {yaml_type(value)}", "value")
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return Phrased(f"expected a mapping, found {yaml_type(value)}", "value")
    if kind == "list_type":
        return Phrased(f"expected a list, found {yaml_type(value)}", "value")
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        if minimum == 1:
            return Phrased("must not be empty", "value")
        return Phrased(f"must be at least {minimum} characters long", "value")
    if kind == "string_too_long":
        return Phrased(f"must be at most {ctx.get('max_length')} characters long", "value")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        words = _PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
        return Phrased(words, "value")
    if kind in ("value_error", "assertion_error"):
        message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return Phrased(message, "value")
    return Phrased(error["msg"], "value")


def _unknown_key(key: str, *, model: type[BaseModel], parent: KeyPath) -> str:
    allowed = keys_at(model, parent)
    if not allowed:
        return f"unknown key '{key}'"
    meant = hint(key, allowed, cutoff=0.75)
    if meant:
        return f"unknown key '{key}'{meant}"
    home = _nested_home(key, model=model, parent=parent, allowed=allowed)
    if home is not None:
        return f"unknown key '{key}' here (it belongs under '{home}')"
    return f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})"


def _nested_home(
    key: str, *, model: type[BaseModel], parent: KeyPath, allowed: list[str]
) -> str | None:
    """The one child mapping of ``parent`` that accepts ``key`` (``namespace`` written at the
    top of a data plane belongs under ``cluster``), or None."""
    homes = [
        child
        for child in allowed
        if key.lower() in (k.lower() for k in keys_at(model, (*parent, child)))
    ]
    return homes[0] if len(homes) == 1 else None


def keys_at(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The YAML keys a mapping at ``path`` inside ``model`` accepts ([] when not a model)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            current = _item_type(current)
            continue
        target = _model_of(current)
        if target is None:
            return []
        field = next(
            (f for name, f in target.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        current = field.annotation
    target = _model_of(current)
    if target is None:
        return []
    return [f.alias or name for name, f in target.model_fields.items()]


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _item_type(annotation: Any) -> Any:
    for candidate in _unwrap(annotation):
        if typing.get_origin(candidate) is list:
            return typing.get_args(candidate)[0]
    return None
