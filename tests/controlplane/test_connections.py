"""Connections of the embedded control plane: the published schemas, pagination like workspaces,
per-stream settings and mappers (hashing, field-renaming, others as given), PATCH keeping what it
is not sent, masked encryption keys, and the role checks of the rest of the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.controlplane.conftest import Api, Plane, connect
from tests.controlplane.spec import check_problem, validate

pytestmark = pytest.mark.anyio

CANARY_KEY = "canary-aes-key-0123456789abcdef"
HASH_EMAIL = {
    "type": "hashing",
    "mapperConfiguration": {
        "targetField": "email",
        "method": "SHA-256",
        "fieldNameSuffix": "_hashed",
    },
}
RENAME = {
    "type": "field-renaming",
    "mapperConfiguration": {"originalFieldName": "fname", "newFieldName": "first_name"},
}
ENCRYPT = {
    "type": "encryption",
    "mapperConfiguration": {
        "algorithm": "AES",
        "key": CANARY_KEY,
        "mode": "CBC",
        "padding": "PKCS5Padding",
        "targetField": "ssn",
        "fieldNameSuffix": "_enc",
    },
}


async def _pair(api: Api, name: str) -> tuple[str, str, str]:
    """A workspace with one source and one destination: (workspace, source, destination)."""
    ws = (await api.post("workspaces", json={"name": name})).json()["workspaceId"]
    src = await api.post(
        "sources",
        json={"name": f"{name}-pg", "workspaceId": ws, "configuration": {"sourceType": "postgres"}},
    )
    dst = await api.post(
        "destinations",
        json={
            "name": f"{name}-bq",
            "workspaceId": ws,
            "configuration": {"destinationType": "bigquery"},
        },
    )
    return ws, src.json()["sourceId"], dst.json()["destinationId"]


#: The schema of each mapper type's configuration. The spec's ``MapperConfiguration`` is a
#: ``oneOf`` without ``additionalProperties``, so a hashing configuration also matches
#: field-filtering's and no valid mapper passes it (a defect of the published file): each
#: configuration is checked against its own type's schema instead.
_MAPPER_SCHEMAS = {
    "hashing": "HashingMapperConfiguration",
    "field-renaming": "FieldRenamingMapperConfiguration",
    "field-filtering": "FieldFilteringMapperConfiguration",
    "row-filtering": "RowFilteringMapperConfiguration",
    "encryption": "EncryptionMapperConfiguration",
}


def check_connection(body: dict[str, Any], schema: str = "ConnectionResponse") -> None:
    items = body["data"] if schema == "ConnectionsResponse" else [body]
    for item in items:
        for stream in item["configurations"]["streams"]:
            for mapper in stream.get("mappers", []):
                validate("api", _MAPPER_SCHEMAS[mapper["type"]], mapper["mapperConfiguration"])
                # id and type against the spec, with a configuration only one branch matches
                only_one = {**mapper, "mapperConfiguration": {"targetField": "x"}}
                validate("api", "ConfiguredStreamMapper", only_one)
    stripped = [
        {
            **item,
            "configurations": {
                "streams": [
                    {k: v for k, v in s.items() if k != "mappers"}
                    for s in item["configurations"]["streams"]
                ]
            },
        }
        for item in items
    ]
    validate(
        "api",
        schema,
        {**body, "data": stripped} if schema == "ConnectionsResponse" else stripped[0],
    )


def _streams(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in body["configurations"]["streams"]}


async def test_create_get_patch_delete_match_the_spec(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        ws, src, dst = await _pair(api, "w1")
        r = await api.post(
            "connections",
            json={
                "sourceId": src,
                "destinationId": dst,
                "configurations": {
                    "streams": [
                        {
                            "name": "users",
                            "syncMode": "incremental_deduped_history",
                            "cursorField": ["updated_at"],
                            "primaryKey": [["id"]],
                            "mappers": [HASH_EMAIL, RENAME],
                        },
                        {"name": "orders", "mappers": [ENCRYPT]},
                    ]
                },
            },
        )
        assert r.status_code == 200, r.text
        check_connection(r.json())
        made = r.json()
        assert made["workspaceId"] == ws and made["name"] == "w1-pg → w1-bq"
        assert (made["status"], made["schedule"], made["namespaceDefinition"]) == (
            "active",
            {"scheduleType": "manual"},
            "destination",
        )
        users, orders = _streams(made)["users"], _streams(made)["orders"]
        assert users["cursorField"] == ["updated_at"] and users["primaryKey"] == [["id"]]
        assert [m["type"] for m in users["mappers"]] == ["hashing", "field-renaming"]
        assert all(m["id"] for m in users["mappers"])  # server-assigned
        assert orders["syncMode"] == "full_refresh_overwrite"  # the default
        assert orders["mappers"][0]["mapperConfiguration"]["key"] == "**********"
        assert CANARY_KEY not in r.text
        cid = made["connectionId"]

        got = await api.get(f"connections/{cid}")
        check_connection(got.json())
        assert got.json() == made

        # PATCH: a stream sent without mappers keeps them; the masked key sent back keeps the
        # stored key; a stream left out is no longer selected; other settings untouched.
        r = await api.patch(
            f"connections/{cid}",
            json={
                "configurations": {
                    "streams": [
                        {"name": "users", "syncMode": "incremental_append"},
                        {"name": "orders", "mappers": orders["mappers"]},
                    ]
                },
                "schedule": {"scheduleType": "cron", "cronExpression": "0 0 * * * ?"},
            },
        )
        assert r.status_code == 200, r.text
        check_connection(r.json())
        patched = _streams(r.json())
        assert patched["users"]["mappers"] == users["mappers"]
        assert patched["users"]["syncMode"] == "incremental_append"
        assert "cursorField" not in patched["users"]  # not sent: the stream is what was sent
        assert r.json()["schedule"]["scheduleType"] == "cron" and r.json()["name"] == made["name"]
        with plane.cp.store.read() as db:
            stored = db.execute("SELECT configurations FROM connections").fetchone()[0]
        assert CANARY_KEY in stored  # kept, never shown

        r = await api.patch(f"connections/{cid}", json={"name": "renamed"})
        assert _streams(r.json()) == patched and r.json()["name"] == "renamed"

        r = await api.delete(f"connections/{cid}")
        assert r.status_code == 204 and r.content == b""
        r = await api.get(f"connections/{cid}")
        assert r.status_code == 404
        check_problem(r.json(), "ResourceNotFoundProblemResponse")


async def test_list_pages_filters_and_include_deleted(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        ws1, src1, dst1 = await _pair(api, "w1")
        ws2, src2, dst2 = await _pair(api, "w2")
        ids = []
        for i in range(3):
            body = {"sourceId": src1, "destinationId": dst1, "name": f"c{i}"}
            ids.append((await api.post("connections", json=body)).json()["connectionId"])
        body = {"sourceId": src2, "destinationId": dst2, "name": "other"}
        await api.post("connections", json=body)

        page = await api.get("connections", params={"workspaceIds": ws1, "limit": 2})
        check_connection(page.json(), "ConnectionsResponse")
        assert [c["name"] for c in page.json()["data"]] == ["c0", "c1"]
        assert page.json()["next"].endswith(
            f"/v1/connections?includeDeleted=false&workspaceIds={ws1}&limit=2&offset=2"
        )
        assert page.json()["previous"] == ""
        rest = await api.get("connections", params={"workspaceIds": ws1, "limit": 2, "offset": 2})
        assert [c["name"] for c in rest.json()["data"]] == ["c2"]
        everything = await api.get("connections")
        assert [c["name"] for c in everything.json()["data"]] == ["c0", "c1", "c2", "other"]

        await api.delete(f"connections/{ids[0]}")
        live = await api.get("connections", params={"workspaceIds": ws1})
        assert [c["name"] for c in live.json()["data"]] == ["c1", "c2"]
        with_deleted = await api.get(
            "connections", params={"workspaceIds": ws1, "includeDeleted": "true"}
        )
        assert [c["name"] for c in with_deleted.json()["data"]] == ["c0", "c1", "c2"]

        # deleting a source deletes its connections
        await api.delete(f"sources/{src2}")
        assert (await api.get("connections", params={"workspaceIds": ws2})).json()["data"] == []


async def test_bad_requests_are_refused_with_the_real_problems(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        _, src, dst = await _pair(api, "w1")
        _, _, other_dst = await _pair(api, "w2")

        r = await api.post("connections", json={"destinationId": dst})
        assert r.status_code == 400
        check_problem(r.json(), "BadRequestProblemResponse")
        r = await api.post("connections", json={"sourceId": src, "destinationId": other_dst})
        assert r.status_code == 400
        r = await api.post(
            "connections",
            json={"sourceId": "7ea284f3-46b6-4361-801e-44b21bcf1bda", "destinationId": dst},
        )
        assert r.status_code == 404 and r.json()["data"]["resourceType"] == "source"

        no_method = {
            "type": "hashing",
            "mapperConfiguration": {"targetField": "email", "fieldNameSuffix": "_h"},
        }
        bad = {
            "sourceId": src,
            "destinationId": dst,
            "configurations": {"streams": [{"name": "users", "mappers": [no_method]}]},
        }
        r = await api.post("connections", json=bad)
        assert r.status_code == 400
        check_problem(r.json(), "MapperValidationProblemResponse")
        assert r.json()["data"]["errors"][0]["stream"] == "users"
        assert "method" in r.json()["data"]["errors"][0]["error"]

        twice = {**bad, "configurations": {"streams": [{"name": "u", "mappers": [HASH_EMAIL] * 2}]}}
        r = await api.post("connections", json=twice)
        assert r.status_code == 400 and r.json()["type"] == "error:mapper-validation"

        r = await api.post(
            "connections",
            json={**bad, "configurations": {"streams": [{"name": "u", "syncMode": "sometimes"}]}},
        )
        assert r.status_code == 422

        # a masked key with no stored mapper behind it cannot be resolved
        masked = {
            **ENCRYPT,
            "mapperConfiguration": {**ENCRYPT["mapperConfiguration"], "key": "**********"},
        }
        r = await api.post(
            "connections",
            json={**bad, "configurations": {"streams": [{"name": "u", "mappers": [masked]}]}},
        )
        assert r.status_code == 400
        check_problem(r.json(), "MapperSecretNotFoundProblemResponse")


async def test_roles_guard_connections(plane: Plane) -> None:
    plane.cp.add_user("reader@example.com")
    plane.cp.add_user("nobody@example.com")
    reader_app = plane.cp.add_application("reader@example.com")
    nobody_app = plane.cp.add_application("nobody@example.com")
    async with connect(plane.cp, plane.creds) as admin:
        ws, src, dst = await _pair(admin, "w1")
        cid = (
            await admin.post("connections", json={"sourceId": src, "destinationId": dst})
        ).json()["connectionId"]
        users = await admin.get("users", params={"organizationId": plane.creds.organization_id})
        reader_id = next(u["id"] for u in users.json()["data"] if u["email"].startswith("reader"))
        r = await admin.post(
            "permissions",
            json={"permissionType": "workspace_reader", "userId": reader_id, "workspaceId": ws},
        )
        assert r.status_code == 200
        async with connect(
            plane.cp, plane.creds, client_id=reader_app[0], client_secret=reader_app[1]
        ) as reader:
            assert (await reader.get(f"connections/{cid}")).status_code == 200
            listed = await reader.get("connections")
            assert [c["connectionId"] for c in listed.json()["data"]] == [cid]
            r = await reader.patch(f"connections/{cid}", json={"name": "x"})
            assert r.status_code == 403
            check_problem(r.json(), "ForbiddenProblemResponse")
            r = await reader.post("connections", json={"sourceId": src, "destinationId": dst})
            assert r.status_code == 403
            assert (await reader.delete(f"connections/{cid}")).status_code == 403
        async with connect(
            plane.cp, plane.creds, client_id=nobody_app[0], client_secret=nobody_app[1]
        ) as nobody:
            assert (await nobody.get(f"connections/{cid}")).status_code == 403
            assert (await nobody.get("connections")).json()["data"] == []
            r = await nobody.get("connections", params={"workspaceIds": ws})
            assert r.status_code == 403
        r = await admin.client.get("connections")
        assert r.status_code == 401
