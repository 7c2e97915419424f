"""Real-server behaviours the embedded control plane emulates, and that the client copes
with (issue 13): token body encodings, identical permission creates, redundant workspace
permissions, and an organisation role raised over workspace permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from reconciler.api import AmbiguousWriteError, ApiClient, AuthError
from reconciler.controlplane import open_embedded
from reconciler.controlplane.quirks import Quirks

from .fakeapi import run
from .test_against_embedded import connect


@pytest.mark.parametrize("accepted", ["both", "json", "form"])
def test_client_gets_a_token_whichever_encoding_the_server_parses(
    tmp_path: Path, accepted: Literal["both", "json", "form"]
) -> None:
    plane, creds = open_embedded(tmp_path / "state")
    plane.set_quirks(Quirks(token_body=accepted))

    async def scenario() -> list[dict[str, object]]:
        async with connect((plane, creds)) as client:
            return [dict(o) for o in await client.list_organizations()]

    try:
        [org] = run(scenario())
    finally:
        plane.close()
    assert org["organizationId"] == creds.organization_id


def test_wrong_credentials_still_name_the_token_call(tmp_path: Path) -> None:
    plane, creds = open_embedded(tmp_path / "state")

    async def scenario() -> None:
        async with ApiClient(
            creds.url,
            client_id=creds.client_id,
            client_secret="not-the-secret-canary-7731",
            transport=plane.transport(),
        ) as client:
            await client.list_organizations()

    try:
        with pytest.raises(AuthError) as caught:
            run(scenario())
    finally:
        plane.close()
    assert "/applications/token" in str(caught.value)
    assert "canary-7731" not in str(caught.value)


def test_permission_rules_of_the_real_server(tmp_path: Path) -> None:
    plane, creds = open_embedded(tmp_path / "state")
    org = creds.organization_id
    user = plane.add_user("ana@acme.example")

    async def scenario() -> None:
        async with connect((plane, creds)) as client:
            ws = await client.create_workspace(
                name="analytics", region_id=None, organization_id=org, notifications=None
            )
            ws_id = ws["workspaceId"]
            first = await client.create_permission(
                user_id=user, permission_type="workspace_editor", workspace_id=ws_id
            )
            # Identical create: the existing permission comes back, nothing new is made.
            again = await client.create_permission(
                user_id=user, permission_type="workspace_editor", workspace_id=ws_id
            )
            assert again["permissionId"] == first["permissionId"]
            [org_perm] = [
                p
                for p in await client.list_permissions(user_id=user, organization_id=org)
                if p["scope"] == "organization"
            ]
            # Raising the organisation role deletes the workspace permission it now covers.
            await client.update_permission(
                org_perm["permissionId"], permission_type="organization_editor"
            )
            left = await client.list_permissions(user_id=user, organization_id=org)
            assert [p["scope"] for p in left] == ["organization"]
            # A covered workspace permission is refused (PermissionRedundantException: a 500,
            # which the client cannot tell from a lost answer; the plan never sends one).
            with pytest.raises(AmbiguousWriteError) as caught:
                await client.create_permission(
                    user_id=user, permission_type="workspace_reader", workspace_id=ws_id
                )
            assert "redundant" in str(caught.value)
            # A higher workspace role than the organisation role is fine.
            await client.create_permission(
                user_id=user, permission_type="workspace_admin", workspace_id=ws_id
            )

    try:
        run(scenario())
    finally:
        plane.close()
