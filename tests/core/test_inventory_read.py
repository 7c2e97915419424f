"""Reading the inventory (issue 18 item 3): entries made without the frozen dataclasses'
``__init__`` and kinds found without the enum's lookup are the values the former reader
made, field by field, including errors; the former reader is kept here as the reference."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from reconciler.core.inventory import Entry, Inventory, Retiring
from reconciler.core.resources import Kind, ResourceKey
from reconciler.sharing import Shared


def reference_entry(data: Mapping[str, Any], shared: Shared | None = None) -> Entry:
    last = data.get("lastApplied")
    retiring = data.get("retiring")
    if isinstance(last, Mapping):
        last = {
            k: shared(v) if shared is not None and isinstance(v, dict) else v
            for k, v in last.items()
        }
    return Entry(
        key=ResourceKey(Kind(str(data["kind"])), str(data["name"])),
        id=str(data["id"]),
        protect=bool(data.get("protect", False)),
        last_applied=last if isinstance(last, dict) else None,
        not_applied=str(data["notApplied"]) if data.get("notApplied") else None,
        retiring=(
            Retiring(str(retiring["replacedBy"]), bool(retiring.get("verified", False)))
            if isinstance(retiring, Mapping)
            else None
        ),
    )


NOTIFICATIONS = {"failure": {"email": True, "webhook": False, "webhookUrl": None}}
ENTRIES: list[dict[str, Any]] = [
    {"kind": "region", "name": "eu", "id": "r1", "protect": False, "lastApplied": {"a": 1}},
    {"kind": "workspace", "name": "Team-É", "id": "w1", "lastApplied": {"n": NOTIFICATIONS}},
    {"kind": "workspace", "name": "b", "id": "w2", "lastApplied": {"n": dict(NOTIFICATIONS)}},
    {"kind": "workspace", "name": "c", "id": "w3", "lastApplied": {"n": dict(NOTIFICATIONS)}},
    {"kind": "dataplane", "name": "eu/p", "id": "d1", "protect": True, "lastApplied": None},
    {"kind": "dataplane", "name": "eu/q", "id": "d2", "retiring": {"replacedBy": "d1"}},
    {"kind": "dataplane", "name": "eu/r", "id": "d3", "retiring": {"replacedBy": 7, "verified": 1}},
    {"kind": "dataplane", "name": "eu/s", "id": "d4", "retiring": "not a mapping"},
    {
        "kind": "dataplane",
        "name": "eu/t",
        "id": "d5",
        "retiring": MappingProxyType({"replacedBy": "x"}),
    },
    {"kind": "permission", "name": "organization/a@b.c", "id": 5, "notApplied": "sha256:1"},
    {"kind": "group", "name": 12, "id": "g1", "lastApplied": MappingProxyType({"name": "g"})},
    {"kind": "groupmember", "name": "g/a@b.c", "id": "g1/u", "lastApplied": [1, 2]},
    {"kind": "workspace", "name": "B", "id": "w1", "protect": 1, "notApplied": ""},  # same id
]


def test_entries_are_the_former_readers_field_by_field() -> None:
    for data in ENTRIES:
        made, expected = Entry.from_json(data, Shared()), reference_entry(data, Shared())
        assert made == expected
        assert vars(made) == vars(expected)
        assert vars(made.key) == vars(expected.key)
        assert list(vars(made)) == [f.name for f in dataclasses.fields(Entry)]
        assert list(vars(made.key)) == [f.name for f in dataclasses.fields(ResourceKey)]
        assert hash(made.key) == hash(expected.key) and made.key.folded == expected.key.folded


def test_the_inventory_is_the_former_inventory() -> None:
    made = Inventory.from_json({"entries": ENTRIES})
    shared = Shared()
    expected = Inventory()
    for data in ENTRIES:
        expected._put(reference_entry(data, shared))
    assert list(made) == list(expected)
    assert made._by_key == expected._by_key
    assert [e.id for e in made.by_key(ResourceKey(Kind.WORKSPACE, "b"))] == ["w1", "w2"]
    assert made.get("w1") == reference_entry(ENTRIES[-1])
    # Equal notification settings are one object, as before.
    first, second = made.get("w2"), made.get("w3")
    assert first is not None and second is not None and first.last_applied is not None
    assert second.last_applied is not None
    assert first.last_applied["n"] is second.last_applied["n"]


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nope", "name": "x", "id": "1"},
        {"kind": 3, "name": "x", "id": "1"},
        {"kind": "region", "id": "1"},
        {"kind": "region", "name": "x"},
        {"kind": "dataplane", "name": "x", "id": "1", "retiring": {"verified": True}},
    ],
)
def test_a_broken_entry_raises_what_it_raised(data: dict[str, Any]) -> None:
    with pytest.raises(Exception) as expected:
        reference_entry(data)
    with pytest.raises(type(expected.value)) as made:
        Entry.from_json(data)
    assert str(made.value) == str(expected.value)
