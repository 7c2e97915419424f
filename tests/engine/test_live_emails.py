"""E-mails are compared as the server compares them (issue 17 item 9).

Airbyte stores and matches e-mails exactly; flexctl folds their case. Two live accounts
whose e-mails differ only in case are two people one declared e-mail could mean: the refresh
refuses, naming both ids, instead of granting to whichever came first. The embedded control
plane cannot hold such a pair (its users are unique without case, as SSO-created users
are), so the server's answers are scripted here."""

from __future__ import annotations

import pytest

from reconciler.engine.live import AmbiguousUserError, Refresh, fetch_live

from ..api.fakeapi import ORG, FakeApi, ok, run

ANNA_LOWER = "0a000000-0000-0000-0000-00000000000a"
ANNA_UPPER = "0b000000-0000-0000-0000-00000000000b"


def _script(api: FakeApi, users: list[dict[str, str]]) -> None:
    api.on("GET", "/v1/organizations", ok({"data": [{"organizationId": ORG}]}))
    api.on("GET", "/v1/regions", ok({"data": []}))
    api.on("GET", "/v1/workspaces", ok({"data": []}))
    api.on("GET", "/v1/users", ok({"data": users}))
    api.on("GET", "/v1/permissions", ok({"data": []}))


def _refresh(api: FakeApi, declared: list[str]) -> Refresh:
    async def go() -> Refresh:
        async with api.client() as client:
            return await fetch_live(client, organization_id=ORG, users=declared)

    return run(go())


def test_two_live_accounts_differing_only_in_case_are_refused_naming_both() -> None:
    api = FakeApi()
    _script(
        api,
        [
            {"id": ANNA_LOWER, "email": "anna@acme.example", "name": "a"},
            {"id": ANNA_UPPER, "email": "Anna@Acme.example", "name": "A"},
        ],
    )
    with pytest.raises(AmbiguousUserError) as caught:
        _refresh(api, ["ANNA@acme.example"])
    message = caught.value.render()
    assert ANNA_LOWER in message and ANNA_UPPER in message
    assert "'anna@acme.example' matches 'anna@acme.example'" in message
    assert f"GET /users?organizationId={ORG}" in message
    # Nothing was written: a refresh only reads.
    assert all(r.method == "GET" for r in api.requests if not r.url.path.endswith("/token"))


def test_a_case_pair_nobody_declares_is_left_alone_and_one_account_matches_any_case() -> None:
    api = FakeApi()
    _script(
        api,
        [
            {"id": ANNA_LOWER, "email": "anna@acme.example", "name": "a"},
            {"id": ANNA_UPPER, "email": "ANNA@acme.example", "name": "A"},
            {"id": "0c000000-0000-0000-0000-00000000000c", "email": "Bob@Acme.example"},
        ],
    )
    refresh = _refresh(api, ["bob@acme.example"])
    assert [u["id"] for u in refresh.snapshot.users] == ["0c000000-0000-0000-0000-00000000000c"]
    assert refresh.unknown_users == ()
