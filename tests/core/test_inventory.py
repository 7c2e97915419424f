"""The inventory value: key order, and the sorted order it keeps between changes."""

from __future__ import annotations

from reconciler.config.models import NOTIFICATION_EVENTS, Notifications
from reconciler.config.references import event_attribute
from reconciler.core.inventory import Entry, Inventory
from reconciler.core.resources import Kind, ResourceKey, region_key, workspace_key


def names(inventory: Inventory) -> list[tuple[str, str]]:
    return [(e.key.kind.value, e.id) for e in inventory]


def test_entries_iterate_by_kind_order_then_folded_name_then_id() -> None:
    inventory = Inventory(
        [
            Entry(workspace_key("beta"), "w-2"),
            Entry(workspace_key("Alpha"), "w-3"),
            Entry(workspace_key("alpha"), "w-1"),
            Entry(region_key("zeta"), "r-1"),
        ]
    )
    assert names(inventory) == [
        ("region", "r-1"),
        ("workspace", "w-1"),
        ("workspace", "w-3"),
        ("workspace", "w-2"),
    ]


def test_every_change_shows_in_the_next_iteration() -> None:
    inventory = Inventory([Entry(workspace_key("b"), "w-b")])
    assert names(inventory) == [("workspace", "w-b")]
    inventory.record(workspace_key("a"), "w-a", essence=None)
    assert names(inventory) == [("workspace", "w-a"), ("workspace", "w-b")]
    inventory.record(workspace_key("c"), "w-a", essence={"name": "c"})  # renamed: moves last
    assert names(inventory) == [("workspace", "w-b"), ("workspace", "w-a")]
    assert [e.last_applied for e in inventory][-1] == {"name": "c"}
    inventory.forget("w-b")
    assert names(inventory) == [("workspace", "w-a")]
    inventory.record(ResourceKey(Kind.DATAPLANE, "r/dp"), "d-1", essence=None, protect=True)
    inventory.release("d-1")
    inventory.retire("d-1", replaced_by="d-2")
    [dataplane] = [e for e in inventory if e.key.kind is Kind.DATAPLANE]
    assert (dataplane.protect, dataplane.retiring is not None) == (False, True)
    inventory.mark_verified("d-2")
    assert [e.retiring.verified for e in inventory.retiring() if e.retiring] == [True]


def test_an_iteration_under_way_keeps_what_it_started_with() -> None:
    inventory = Inventory([Entry(workspace_key("a"), "w-a"), Entry(workspace_key("b"), "w-b")])
    seen = []
    for entry in inventory:
        seen.append(entry.id)
        inventory.forget(entry.id)
        inventory.record(workspace_key("z"), "w-z", essence=None)
    assert seen == ["w-a", "w-b"]
    assert names(inventory) == [("workspace", "w-z")]


def test_a_key_folds_its_name_once_and_compares_by_kind_and_name() -> None:
    key = workspace_key("STRASSE")
    assert key.folded == (Kind.WORKSPACE, "strasse") == workspace_key("straße").folded
    assert key.sort_key() == (Kind.WORKSPACE.order, "strasse")
    assert key == workspace_key("STRASSE") and key != workspace_key("strasse")
    assert hash(key) == hash(workspace_key("STRASSE"))
    assert [k.order for k in Kind] == list(range(len(Kind)))


def test_every_event_names_its_notifications_attribute() -> None:
    for event in NOTIFICATION_EVENTS:
        assert event_attribute(event) in Notifications.model_fields
    assert event_attribute("connectionUpdateActionRequired") == "connection_update_action_required"
    assert event_attribute("someNewEvent") == "some_new_event"  # not a known event: spelt anew
