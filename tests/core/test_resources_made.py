"""``resources.resource`` makes what ``Resource(...)`` makes (issue 18: two per workspace in a
plan), and ``Inventory.by_key``'s single-id path answers as the sorted one did."""

from __future__ import annotations

import dataclasses
import sys

from reconciler.core.inventory import Entry, Inventory
from reconciler.core.resources import Kind, Resource, ResourceKey, resource, workspace_key


def test_resource_is_the_dataclass_made_by_its_init() -> None:
    key = workspace_key("Team")
    cases = [
        (resource(key, {"a": 1}), Resource(key, {"a": 1})),
        (resource(key, {}, id="w-1"), Resource(key=key, essence={}, id="w-1")),
        (
            resource(key, {"n": None}, id=None, protect=True, previous_names=("old",)),
            Resource(key, {"n": None}, None, True, ("old",)),
        ),
    ]
    for made, expected in cases:
        assert made == expected and hash(made.key) == hash(expected.key)
        assert vars(made) == vars(expected)
        assert list(vars(made)) == [f.name for f in dataclasses.fields(Resource)]
        assert dataclasses.replace(made, id="x") == dataclasses.replace(expected, id="x")
        assert repr(made) == repr(expected)
        # The class's shared-key instance dict, as __init__ leaves it (not a dict of its own).
        assert sys.getsizeof(vars(made)) == sys.getsizeof(vars(expected))


def test_by_key_finds_none_one_or_several_in_id_order() -> None:
    inventory = Inventory(
        [
            Entry(ResourceKey(Kind.WORKSPACE, "a"), "w-2"),
            Entry(ResourceKey(Kind.WORKSPACE, "A"), "w-1"),
            Entry(ResourceKey(Kind.WORKSPACE, "b"), "w-3"),
        ]
    )
    assert inventory.by_key(workspace_key("nothing")) == []
    assert [e.id for e in inventory.by_key(workspace_key("B"))] == ["w-3"]
    assert [e.id for e in inventory.by_key(workspace_key("a"))] == ["w-1", "w-2"]
    inventory.forget("w-3")
    assert inventory.by_key(workspace_key("b")) == []
