"""The live digest and essence digests are the bytes ``json.dumps`` wrote before orjson wrote
most of them (issue 18 item 2): a digest that moved would refuse every saved plan. Each case
is checked against the former implementation, kept here as the reference."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.diff import _canonical, essence_digest, live_digest
from reconciler.core.live_resources import LiveSnapshot, live_resources
from reconciler.core.resources import Kind, Resource, ResourceKey


def reference_live_digest(live: Iterable[Resource]) -> str:
    rows = sorted(
        (
            r.key.kind.value,
            r.key.name.lower(),
            r.id or "",
            json.dumps(r.essence, sort_keys=True, separators=(",", ":")),
        )
        for r in live
    )
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def reference_canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    ONE = 1


SHARED = {"failure": {"email": True, "webhook": False, "webhookUrl": None}}
VALUES: list[Any] = [
    {},
    [],
    {"name": "ws-1", "region": "eu", "notifications": SHARED},
    {"b": 1, "a": [1, 2, {"z": None, "y": True}], "c": (3, "x")},
    {"float": 1.0, "small": 1e-05, "big": 1e16, "neg": -0.0, "pi": 3.141592653589793},
    {"nan": math.nan, "inf": math.inf, "minf": -math.inf},
    {"name": "é", "emoji": "😀", "sep": "\u2028", "cjk": "工作区"},
    {"del": "\x7f", "ctl": "\x00\x01\x1f\b\f\n\r\t", "quote": '"\\/'},
    {"é-key": 1, "a": 2, "\x7f": 3, "\x00": 4, "A": 5, "": 6},
    {"int64": 2**63 - 1, "u64": 2**64 - 1, "past": 2**64, "neg": -(2**63) - 1},
    {"enum": Colour.RED, "int_enum": Level.ONE, "bool": True, "zero": 0},
    {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
    {"a": {"b": {"c": {"d": [1, "two", None, False]}}}},
    {"surrogate": "\ud800", "pair": "\ud83d\ude00"},
    "a string",
    42,
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_canonical_text_is_json_dumps_text(value: Any) -> None:
    assert _canonical(value) == reference_canonical(value)
    assert _canonical(value, {}) == reference_canonical(value)


def test_non_string_keys_and_cycles_behave_as_json() -> None:
    assert _canonical({1: "a", 2: "b"}) == reference_canonical({1: "a", 2: "b"})
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    with pytest.raises(ValueError, match="Circular reference"):
        _canonical(cycle)
    with pytest.raises(TypeError):
        _canonical({"a": {1, 2}})


def resources() -> list[Resource]:
    out = [
        Resource(ResourceKey(Kind.WORKSPACE, f"WS-{i}"), essence=value, id=f"id-{i}")
        for i, value in enumerate(VALUES)
        if isinstance(value, dict)
    ]
    out.append(Resource(ResourceKey(Kind.REGION, "Région-é"), essence={"name": "x"}, id=None))
    out.append(Resource(ResourceKey(Kind.WORKSPACE, 'quote"\\'), essence=SHARED, id='i"d'))
    return out


def test_live_digest_is_the_former_digest() -> None:
    live = resources()
    assert live_digest(live) == reference_live_digest(live)
    assert live_digest([]) == reference_live_digest([])


def test_live_digest_of_a_workspace_list_is_the_former_digest() -> None:
    notifications = {
        "failure": {"email": {"enabled": True}, "webhook": {"enabled": True, "url": "h://x"}},
        "success": {"email": {"enabled": False}},
    }
    workspaces = [
        {"workspaceId": f"w-{i}", "name": f"ws-{i}", "dataResidency": "EU", "notifications": n}
        for i, n in enumerate([notifications, notifications, {}, notifications])
    ]
    live = live_resources(LiveSnapshot(organization_id="o", workspaces=workspaces))
    assert live_digest(live) == reference_live_digest(live)


def test_a_container_seen_plain_is_not_mistaken_for_a_later_one_at_its_address() -> None:
    # Resources made one at a time and dropped: a freed dict's address comes back holding a
    # value json and orjson write apart (NaN, 1e-05), which must not pass as already seen.
    def made() -> Iterator[Resource]:
        for i in range(300):
            yield Resource(
                ResourceKey(Kind.WORKSPACE, f"w{i}"),
                essence={"v": {"n": [math.nan, 1e-05][i % 2]} if i % 3 == 0 else {"n": i}},
                id=str(i),
            )

    assert live_digest(made()) == reference_live_digest(list(made()))


def test_a_row_whose_id_is_not_a_string_is_written_as_before() -> None:
    live = [Resource(ResourceKey(Kind.REGION, "r"), essence={"a": 1}, id=7)]  # type: ignore[arg-type]
    assert live_digest(live) == reference_live_digest(live)


def test_essence_digest_is_the_former_digest() -> None:
    for value in VALUES:
        if isinstance(value, dict):
            expected = hashlib.sha256(reference_canonical(dict(value)).encode()).hexdigest()
            assert essence_digest(value) == "sha256:" + expected


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_generated_essences_write_json_dumps_text(essence: dict[str, Any]) -> None:
    assert _canonical(essence) == reference_canonical(essence)
    live = [Resource(ResourceKey(Kind.WORKSPACE, "w"), essence=essence, id="1")]
    assert live_digest(live) == reference_live_digest(live)
