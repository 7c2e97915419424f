"""Sources and destinations of the embedded control plane: paginated like workspaces, secrets
masked, 404 for unknown ids."""

from __future__ import annotations

import pytest

from tests.controlplane.conftest import Plane, connect

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("kind", "type_key"), [("sources", "sourceType"), ("destinations", "destinationType")]
)
async def test_connectors_list_in_pages_and_mask_secrets(
    plane: Plane, kind: str, type_key: str
) -> None:
    async with connect(plane.cp, plane.creds) as api:
        ws = (await api.post("workspaces", json={"name": "w1"})).json()["workspaceId"]
        made = []
        for i in range(3):
            r = await api.post(
                kind,
                json={
                    "name": f"c{i}",
                    "workspaceId": ws,
                    "configuration": {type_key: "postgres", "password": "canary-pw"},
                },
            )
            assert r.status_code == 200, r.text
            assert r.json()["configuration"]["password"] == "**********"
            made.append(r.json())
        page = (await api.get(kind, params={"limit": 2, "offset": 0})).json()
        assert [x["name"] for x in page["data"]] == ["c0", "c1"]
        assert page["next"].endswith(f"/v1/{kind}?includeDeleted=false&limit=2&offset=2")
        rest = (await api.get(kind, params={"limit": 2, "offset": 2})).json()
        assert [x["name"] for x in rest["data"]] == ["c2"]
        assert "canary-pw" not in (await api.get(kind)).text
        r = await api.delete(f"{kind}/{made[0][type_key[:-4] + 'Id']}")
        assert r.status_code == 204
        assert [x["name"] for x in (await api.get(kind)).json()["data"]] == ["c1", "c2"]
        r = await api.post(kind, json={"name": "x", "workspaceId": ws, "configuration": {}})
        assert r.status_code == 400
