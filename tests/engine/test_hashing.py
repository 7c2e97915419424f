"""Issue 16 items 2 and 3 end to end against the embedded control plane: a hashing policy adds,
changes and removes only the hashing mappers it implies on a connection made through the API
(a user's own mappers and stream settings survive), and the residency audit reports PII used
as a cursor or reaching the destination unhashed (plan exits 1 with ``enforce: true``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.core.output import render

from ..controlplane.conftest import connect as connect_raw
from .harness import World, edit, lines
from .test_access import run

WS_FILE = "workspaces/analytics.yaml"
POLICY = (
    "classification: sensitive\njurisdiction: US\n"
    "pii:\n"
    "  - stream: users\n    fields: [email, phone]\n"
    "  - stream: '*'\n    fields: ['*ssn*']\n"
    "hashing: {method: SHA-256, fieldNameSuffix: _hashed}\n"
)
CANARY_KEY = "canary-encryption-key-4f1d"
RENAME = {
    "type": "field-renaming",
    "mapperConfiguration": {"originalFieldName": "fname", "newFieldName": "first_name"},
}
USERS_OWN_HASH = {
    "type": "hashing",
    "mapperConfiguration": {"targetField": "card", "method": "MD5", "fieldNameSuffix": "_md5"},
}


def without_example_policy(path: Path) -> None:
    """The example's us-analytics declares PII rules and hashing; tests declare their own."""
    text = path.read_text(encoding="utf-8")
    start = text.index("# Personal data in this workspace's connections")
    end = text.index("  fieldNameSuffix: _hashed\n", start) + len("  fieldNameSuffix: _hashed\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def add_policy(world: World, text: str = POLICY) -> None:
    without_example_policy(world.config / WS_FILE)
    edit(world.config / WS_FILE, "classification: sensitive\njurisdiction: US\n", text)


async def make_connection(world: World, workspace: str, streams: list[dict[str, Any]]) -> str:
    """A connection as a user makes it in the UI (through the API, not flexctl)."""
    async with connect_raw(world.plane, world.creds) as api:
        listed = (await api.get("workspaces", params={"limit": 100})).json()["data"]
        ws = next(w["workspaceId"] for w in listed if w["name"] == workspace)
        src = await api.post(
            "sources",
            json={"name": "crm", "workspaceId": ws, "configuration": {"sourceType": "postgres"}},
        )
        dst = await api.post(
            "destinations",
            json={"name": "lake", "workspaceId": ws, "configuration": {"destinationType": "s3"}},
        )
        body = {
            "name": "crm-to-lake",
            "sourceId": src.json()["sourceId"],
            "destinationId": dst.json()["destinationId"],
            "configurations": {"streams": streams},
        }
        made = await api.post("connections", json=body)
        assert made.status_code == 200, made.text
        return str(made.json()["connectionId"])


async def read_streams(world: World, connection_id: str) -> dict[str, dict[str, Any]]:
    async with connect_raw(world.plane, world.creds) as api:
        body = (await api.get(f"connections/{connection_id}")).json()
    return {s["name"]: s for s in body["configurations"]["streams"]}


def hashing_of(stream: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        m["mapperConfiguration"]["targetField"]: (
            m["mapperConfiguration"]["method"],
            m["mapperConfiguration"]["fieldNameSuffix"],
        )
        for m in stream["mappers"]
        if m["type"] == "hashing"
    }


STREAMS = [
    {
        "name": "users",
        "syncMode": "incremental_deduped_history",
        "cursorField": ["updated_at"],
        "primaryKey": [["id"]],
        "mappers": [RENAME, USERS_OWN_HASH],
    },
    {
        "name": "orders",
        "syncMode": "incremental_append",
        "cursorField": ["created_at"],
        "selectedFields": [{"fieldPath": ["id"]}, {"fieldPath": ["buyer_ssn"]}],
        # A user's encryption mapper: its key is answered masked and must survive the PATCH.
        "mappers": [
            {
                "type": "encryption",
                "mapperConfiguration": {
                    "algorithm": "AES",
                    "key": CANARY_KEY,
                    "mode": "CBC",
                    "padding": "PKCS5Padding",
                    "targetField": "card",
                    "fieldNameSuffix": "_enc",
                },
            }
        ],
    },
]


def test_the_policy_owns_only_its_hashing_mappers(applied: World) -> None:
    world = applied
    cid = run(make_connection(world, "us-analytics", STREAMS))
    before = run(read_streams(world, cid))
    add_policy(world)

    plan = run(world.prepare()).plan
    [change] = [c for c in plan.changes if c.key.kind.value == "connection"]
    assert (change.action.value, str(change.key), change.id) == (
        "update",
        "connection us-analytics/crm-to-lake",
        cid,
    )
    assert [f.path for f in change.fields] == [
        "streams.orders.hashing.buyer_ssn",  # a glob matched a selected field
        "streams.users.hashing.email",
        "streams.users.hashing.phone",
    ]
    text = lines(render(plan, "text"))
    assert any(line.startswith("~ connection us-analytics/crm-to-lake") for line in text), text

    run(world.converge())
    after = run(read_streams(world, cid))
    sha = ("SHA-256", "_hashed")
    assert hashing_of(after["users"]) == {"card": ("MD5", "_md5"), "email": sha, "phone": sha}
    assert hashing_of(after["orders"]) == {"buyer_ssn": sha}
    # The user's mappers and every stream setting read back unchanged (ids too).
    assert after["users"]["mappers"][:2] == before["users"]["mappers"]
    for name in ("users", "orders"):
        assert {k: v for k, v in after[name].items() if k != "mappers"} == {
            k: v for k, v in before[name].items() if k != "mappers"
        }

    with world.plane.store.read() as db:
        stored = db.execute("SELECT configurations FROM connections").fetchone()[0]
    assert CANARY_KEY in stored  # kept through flexctl's read-modify-write
    saved = [
        p.read_text(encoding="utf-8")
        for p in world.state.root.rglob("*")
        if p.is_file() and p.suffix in (".json", ".jsonl")
    ]
    assert saved and not any(CANARY_KEY in text for text in saved)

    second = run(world.prepare()).plan
    assert second.changes == () and second.unchanged.get("connection") == 1

    # Removing the policy removes flexctl's mappers, and only those.
    edit(world.config / WS_FILE, "hashing: {method: SHA-256, fieldNameSuffix: _hashed}\n", "")
    plan = run(world.prepare()).plan
    [change] = plan.changes
    assert [(f.path, f.new) for f in change.fields] == [
        ("streams.orders.hashing.buyer_ssn", None),
        ("streams.users.hashing.email", None),
        ("streams.users.hashing.phone", None),
    ]
    run(world.converge())
    assert run(read_streams(world, cid)) == before
    assert run(world.prepare()).plan.changes == ()


def test_a_changed_method_changes_the_mapper_and_a_users_match_stays_the_users(
    applied: World,
) -> None:
    world = applied
    own_email = {
        "type": "hashing",
        "mapperConfiguration": {"targetField": "email", "method": "MD5", "fieldNameSuffix": "_h"},
    }
    own_phone = {
        "type": "hashing",
        "mapperConfiguration": {
            "targetField": "phone",
            "method": "SHA-256",
            "fieldNameSuffix": "_hashed",
        },
    }
    cid = run(
        make_connection(
            world, "us-analytics", [{"name": "users", "mappers": [own_email, own_phone]}]
        )
    )
    add_policy(world)
    ids = [m["id"] for m in run(read_streams(world, cid))["users"]["mappers"]]
    [change] = run(world.prepare()).plan.changes
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        (
            "streams.users.hashing.email",
            {"method": "MD5", "fieldNameSuffix": "_h"},
            {"method": "SHA-256", "fieldNameSuffix": "_hashed"},
        )
    ]
    run(world.converge())
    users = run(read_streams(world, cid))["users"]
    assert [m["id"] for m in users["mappers"]] == ids  # changed in place, not replaced
    assert hashing_of(users) == {"email": ("SHA-256", "_hashed"), "phone": ("SHA-256", "_hashed")}
    # Without the policy only the mapper flexctl changed goes; the user's own phone mapper,
    # already as the policy said, was never flexctl's.
    edit(world.config / WS_FILE, "hashing: {method: SHA-256, fieldNameSuffix: _hashed}\n", "")
    run(world.converge())
    users = run(read_streams(world, cid))["users"]
    assert hashing_of(users) == {"phone": ("SHA-256", "_hashed")}


def test_the_audit_names_workspace_connection_stream_and_field(applied: World) -> None:
    world = applied
    streams = [{"name": "users", "syncMode": "incremental_append", "cursorField": ["email"]}]
    cid = run(make_connection(world, "us-analytics", streams))
    add_policy(
        world,
        "classification: sensitive\njurisdiction: US\npii: [{stream: users, fields: [email]}]\n",
    )

    plan = run(world.prepare()).plan
    head = (
        f"residency: workspace us-analytics, connection crm-to-lake ({cid}), "
        "stream users, field email: "
    )
    assert [w for w in plan.warnings if w.startswith("residency:")] == [
        head + "PII field is the cursor: its values are stored in the control plane",
        head + "PII field reaches the destination unhashed",
    ]
    assert plan.refusals == ()
    assert [(f["problem"], f["severity"]) for f in plan.findings] == [
        ("cursorField", "warning"),
        ("unhashed", "warning"),
    ]
    assert head + "PII field reaches the destination unhashed" in render(plan, "markdown")

    # With a hashing policy the unhashed finding goes (the plan adds the mapper); the cursor
    # stays, and with enforce: true it is an error.
    edit(world.config / WS_FILE, "pii: [", "hashing: {}\npii: [")
    edit(
        world.config / "organization.yaml",
        "  selfManagedRequiredFor: [sensitive]\n",
        "  selfManagedRequiredFor: [sensitive]\n  enforce: true\n",
    )
    plan = run(world.prepare()).plan
    assert plan.refusals == (
        head + "PII field is the cursor: its values are stored in the control plane",
    )
    assert [w for w in plan.warnings if w.startswith("residency:")] == []


def test_dropping_rules_and_policy_of_an_unaudited_workspace_still_removes_flexctls(
    applied: World,
) -> None:
    """marketing-eu is not audited: once neither PII rules nor a policy are left, only the
    inventory says its connections hold flexctl's mappers, and they are still listed and
    cleaned."""
    world = applied
    path = world.config / "workspaces/marketing-eu.yaml"
    block = "pii: [{stream: users, fields: [email]}]\nhashing: {}\n"
    edit(path, "classification: internal\n", "classification: internal\n" + block)
    cid = run(make_connection(world, "marketing-eu", [{"name": "users", "mappers": [RENAME]}]))
    run(world.converge())
    assert hashing_of(run(read_streams(world, cid))["users"]) == {"email": ("SHA-256", "_hashed")}
    edit(path, block, "")
    [change] = run(world.prepare()).plan.changes
    assert [(f.path, f.new) for f in change.fields] == [("streams.users.hashing.email", None)]
    run(world.converge())
    assert run(read_streams(world, cid))["users"]["mappers"][0]["type"] == "field-renaming"
    assert len(run(read_streams(world, cid))["users"]["mappers"]) == 1
    plan = run(world.prepare()).plan
    assert plan.changes == ()
