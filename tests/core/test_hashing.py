"""The pure parts of column hashing and the residency audit: which fields are PII, which
mappers a change edits (and that it edits nothing else), and each kind of finding."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.config.models import Workspace
from reconciler.core.hashing import connection_key, hashing_changes, patched_streams, pii_fields
from reconciler.core.inventory import Inventory
from reconciler.core.residency import audit

WS_ID = "0b4a1c52-4a0e-4a59-9d0e-0a6b1c2d3e4f"


def workspace(**extra: Any) -> Workspace:
    return Workspace.model_validate(
        {"apiVersion": "flexctl/v1", "kind": "Workspace", "name": "w", "region": "EU", **extra}
    )


def connection(*streams: dict[str, Any]) -> dict[str, Any]:
    return {
        "connectionId": "c0ffee00-0000-4000-8000-000000000001",
        "name": "c",
        "workspaceId": WS_ID,
        "configurations": {"streams": list(streams)},
    }


@pytest.mark.parametrize(
    ("rules", "stream", "expected"),
    [
        ([{"stream": "users", "fields": ["email"]}], {"name": "users"}, {"email"}),
        ([{"stream": "users", "fields": ["email"]}], {"name": "orders"}, set()),
        ([{"stream": "USERS", "fields": ["email"]}], {"name": "users"}, {"email"}),
        # a glob matches only fields the configuration names
        ([{"stream": "*", "fields": ["*email*"]}], {"name": "x"}, set()),
        (
            [{"stream": "u*", "fields": ["*email*"]}],
            {"name": "users", "cursorField": ["work_email"], "primaryKey": [["Email"], ["id"]]},
            {"work_email", "Email"},
        ),
        (
            [{"stream": "*", "fields": ["ssn?"]}],
            {"name": "p", "selectedFields": [{"fieldPath": ["ssn1"]}, {"fieldPath": ["id"]}]},
            {"ssn1"},
        ),
    ],
)
def test_pii_fields(rules: list[Any], stream: dict[str, Any], expected: set[str]) -> None:
    assert pii_fields(workspace(pii=rules), stream) == expected


def test_a_change_edits_only_its_hashing_mappers() -> None:
    encrypt = {
        "id": "e0000000-0000-4000-8000-000000000000",
        "type": "encryption",
        "mapperConfiguration": {"algorithm": "AES", "key": "**********", "targetField": "ssn"},
    }
    old_hash = {
        "id": "h0000000-0000-4000-8000-000000000000",
        "type": "hashing",
        "mapperConfiguration": {"targetField": "email", "method": "MD5", "fieldNameSuffix": "_x"},
    }
    users = {"name": "users", "cursorField": ["id"], "mappers": [encrypt, old_hash]}
    other = {"name": "other", "mappers": [dict(old_hash)]}
    conn = connection(users, other)
    ws = workspace(pii=[{"stream": "users", "fields": ["email", "phone"]}], hashing={})
    [change] = hashing_changes([ws], [conn], {WS_ID: "w"}, Inventory()).changes
    streams = patched_streams(conn, change)
    assert streams[1] == other  # another stream: sent back as read
    assert streams[0]["cursorField"] == ["id"]
    assert streams[0]["mappers"] == [
        encrypt,  # masked key and id sent back: the server keeps the stored key
        {
            **old_hash,
            "mapperConfiguration": {
                **old_hash["mapperConfiguration"],
                "method": "SHA-256",
                "fieldNameSuffix": "_hashed",
            },
        },
        {
            "type": "hashing",
            "mapperConfiguration": {
                "targetField": "phone",
                "method": "SHA-256",
                "fieldNameSuffix": "_hashed",
            },
        },
    ]
    # only the changed field and the new one are flexctl's
    assert change.desired == {
        "workspace": "w",
        "hashing": {
            "users": {
                "email": {"method": "SHA-256", "fieldNameSuffix": "_hashed"},
                "phone": {"method": "SHA-256", "fieldNameSuffix": "_hashed"},
            }
        },
    }


def test_no_policy_and_nothing_owned_is_no_change() -> None:
    users = {"name": "users", "mappers": []}
    ws = workspace(pii=[{"stream": "users", "fields": ["email"]}])
    assert hashing_changes([ws], [connection(users)], {WS_ID: "w"}, Inventory()).changes == ()


@pytest.mark.parametrize(
    ("stream", "problems"),
    [
        ({"name": "users", "cursorField": ["email"]}, ["cursorField", "unhashed"]),
        ({"name": "users", "primaryKey": [["id"], ["email"]]}, ["primaryKey", "unhashed"]),
        ({"name": "users"}, ["unhashed"]),
        (
            {
                "name": "users",
                "mappers": [
                    {"type": "field-filtering", "mapperConfiguration": {"targetField": "email"}}
                ],
            },
            [],
        ),
        (
            {
                "name": "users",
                "mappers": [
                    {
                        "type": "encryption",
                        "mapperConfiguration": {"algorithm": "RSA", "targetField": "email"},
                    }
                ],
            },
            [],
        ),
        ({"name": "users", "selectedFields": [{"fieldPath": ["id"]}]}, []),
        ({"name": "orders", "cursorField": ["email"]}, []),
    ],
)
def test_audit_findings(stream: dict[str, Any], problems: list[str]) -> None:
    ws = workspace(pii=[{"stream": "users", "fields": ["email"]}])
    found = audit([ws], [connection(stream)], {WS_ID: "w"})
    assert [f.problem for f in found] == problems
    assert all(
        (f.workspace, f.connection, f.stream, f.field) == ("w", "c", "users", "email")
        for f in found
    )


@pytest.mark.parametrize(
    ("mappers", "drift"),
    [
        ([], True),  # flexctl's mapper removed in the UI
        (
            [
                {
                    "type": "hashing",
                    "mapperConfiguration": {
                        "targetField": "email",
                        "method": "MD5",
                        "fieldNameSuffix": "_hashed",
                    },
                }
            ],
            True,  # changed in the UI
        ),
    ],
)
def test_a_mapper_flexctl_wrote_and_someone_changed_is_drift(
    mappers: list[Any], drift: bool
) -> None:
    conn = connection({"name": "users", "mappers": mappers})
    inventory = Inventory()
    sha = {"method": "SHA-256", "fieldNameSuffix": "_hashed"}
    inventory.record(
        connection_key("w", "c"),
        str(conn["connectionId"]),
        essence={"workspace": "w", "hashing": {"users": {"email": sha}}},
    )
    ws = workspace(pii=[{"stream": "users", "fields": ["email"]}], hashing={})
    [change] = hashing_changes([ws], [conn], {WS_ID: "w"}, inventory).changes
    assert change.drift is drift
    assert [(f.path, f.new) for f in change.fields] == [("streams.users.hashing.email", sha)]
