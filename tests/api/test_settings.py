"""Base-URL normalisation and resolving the connection from config and environment."""

from __future__ import annotations

import pytest

from reconciler.api import ConnectionSettings, ConnectionSettingsError, resolve_connection
from reconciler.api.settings import Embedded
from reconciler.api.urls import normalise_base_url

from .fakeapi import FakeApi, ok, run


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.airbyte.com/v1", "https://api.airbyte.com/v1"),
        ("https://api.airbyte.com/v1/", "https://api.airbyte.com/v1"),
        ("https://api.airbyte.com", "https://api.airbyte.com/v1"),
        ("https://airbyte.example.com/api/public/v1", "https://airbyte.example.com/api/public/v1"),
        ("https://airbyte.example.com/api/public/v1/", "https://airbyte.example.com/api/public/v1"),
        ("https://airbyte.example.com/api/public", "https://airbyte.example.com/api/public/v1"),
        ("http://localhost:8000/", "http://localhost:8000/api/public/v1"),
        ("  https://proxy.example.com/airbyte/v1  ", "https://proxy.example.com/airbyte/v1"),
    ],
)
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("api.airbyte.com/v1", "must start with http:// or https://"),
        ("ftp://api.airbyte.com/v1", "must start with http:// or https://"),
        ("https:///v1", "must start with http:// or https://"),
        ("https://host.example.com/api", "should end in /v1"),
        ("https://user:pw@host.example.com/v1", "must not carry a query, fragment or user info"),
    ],
)
def test_bad_base_urls_are_refused_with_a_reason(given: str, message: str) -> None:
    with pytest.raises(ConnectionSettingsError, match=message):
        normalise_base_url(given)


def test_user_info_is_not_echoed() -> None:
    with pytest.raises(ConnectionSettingsError) as caught:
        normalise_base_url("https://user:hunter2-secret@host.example.com/v1")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "slash"),
    [("https://api.example.test/v1", ""), ("https://api.example.test/v1", "/")],
)
def test_requests_go_under_the_api_root(api: FakeApi, url: str, slash: str) -> None:
    api.on("GET", "/v1/organizations", ok({"data": []}))
    api.on("GET", "/api/public/v1/organizations", ok({"data": []}))

    async def scenario() -> None:
        async with api.client(url + slash) as client:
            await client.list_organizations()
        async with api.client("http://h.example.test/api/public/v1" + slash) as client:
            await client.list_organizations()

    run(scenario())
    assert [str(r.url) for r in api.requests] == [
        "https://api.example.test/v1/applications/token",
        "https://api.example.test/v1/organizations",
        "http://h.example.test/api/public/v1/applications/token",
        "http://h.example.test/api/public/v1/organizations",
    ]


ENV = {
    "AIRBYTE_API_URL": "https://api.airbyte.com/v1",
    "AIRBYTE_CLIENT_ID": "env-id",
    "AIRBYTE_CLIENT_SECRET": "env-secret-value",
}


def test_nothing_configured_outside_ci_means_the_embedded_control_plane() -> None:
    assert resolve_connection(None, {}) == Embedded(why="no controlPlane.url, no AIRBYTE_API_URL")
    assert resolve_connection("  ", {"CI": "false", "HOME": "/root"}) == Embedded(
        why="no controlPlane.url, no AIRBYTE_API_URL"
    )


CHOOSE = (
    "set AIRBYTE_API_URL (with AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET) or the "
    "Organization's controlPlane.url, or choose the embedded control plane explicitly with "
    "--embedded or controlPlane: {embedded: true}"
)


@pytest.mark.parametrize(
    ("env", "credentials", "message"),
    [
        (
            {"AIRBYTE_API_URL": ""},
            {},
            "AIRBYTE_API_URL is set but empty: set it to the control plane's public API URL "
            "(https://api.airbyte.com/v1, or https://HOST/api/public/v1), or unset it and pass "
            "--embedded to use the embedded control plane",
        ),
        (
            {"AIRBYTE_API_URL": "  ", "AIRBYTE_CLIENT_ID": "x", "CI": "true"},
            {},
            "AIRBYTE_API_URL is set but empty: set it to the control plane's public API URL "
            "(https://api.airbyte.com/v1, or https://HOST/api/public/v1), or unset it and pass "
            "--embedded to use the embedded control plane",
        ),
        (
            {"AIRBYTE_CLIENT_ID": "id", "AIRBYTE_CLIENT_SECRET": "s3cret-canary"},
            {},
            "AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET are set but no control-plane URL is: "
            + CHOOSE,
        ),
        (
            {"AIRBYTE_CLIENT_SECRET": "s3cret-canary"},
            {},
            "AIRBYTE_CLIENT_SECRET is set but no control-plane URL is: " + CHOOSE,
        ),
        (
            {},
            {"client_id": "doc-id", "client_secret": "s3cret-canary"},
            "controlPlane.clientId and controlPlane.clientSecret are set but no control-plane "
            "URL is: " + CHOOSE,
        ),
        (
            {"CI": "true"},
            {},
            "no control plane is configured and CI is set (in CI flexctl never falls back to "
            "the embedded control plane): " + CHOOSE,
        ),
        (
            {"CI": "1"},
            {},
            "no control plane is configured and CI is set (in CI flexctl never falls back to "
            "the embedded control plane): " + CHOOSE,
        ),
    ],
)
def test_a_half_configured_connection_never_falls_back(
    env: dict[str, str], credentials: dict[str, str], message: str
) -> None:
    with pytest.raises(ConnectionSettingsError) as caught:
        resolve_connection(None, env, **credentials)
    assert str(caught.value) == message
    assert "s3cret-canary" not in str(caught.value)


@pytest.mark.parametrize(
    "env", [{}, {"CI": "true"}, {"AIRBYTE_API_URL": ""}, ENV, {"AIRBYTE_CLIENT_ID": "x"}]
)
def test_an_explicit_choice_of_the_embedded_control_plane_always_works(
    env: dict[str, str],
) -> None:
    assert resolve_connection("https://airbyte.example.com", env, embedded="--embedded") == (
        Embedded(why="--embedded")
    )


def test_the_config_url_wins_over_the_environment() -> None:
    settings = resolve_connection("https://airbyte.example.com", ENV)
    assert settings == ConnectionSettings(
        base_url="https://airbyte.example.com/api/public/v1",
        client_id="env-id",
        client_secret="env-secret-value",
        url_source="config",
    )


def test_the_environment_url_and_passed_credentials() -> None:
    settings = resolve_connection(None, ENV, client_id="doc-id", client_secret="doc-secret")
    assert isinstance(settings, ConnectionSettings)
    assert (settings.base_url, settings.client_id, settings.client_secret, settings.url_source) == (
        "https://api.airbyte.com/v1",
        "doc-id",
        "doc-secret",
        "env",
    )


def test_missing_credentials_are_named() -> None:
    with pytest.raises(ConnectionSettingsError) as caught:
        resolve_connection("https://api.airbyte.com/v1", {"AIRBYTE_CLIENT_ID": "id"})
    assert str(caught.value) == (
        "control plane https://api.airbyte.com/v1 is configured but AIRBYTE_CLIENT_SECRET is not "
        "set (or given in the Organization document's controlPlane credentials)"
    )


def test_settings_are_frozen_and_hide_the_secret() -> None:
    settings = resolve_connection(None, ENV)
    assert isinstance(settings, ConnectionSettings)
    assert "env-secret-value" not in repr(settings)
    with pytest.raises(AttributeError):
        settings.client_id = "other"  # type: ignore[misc]
