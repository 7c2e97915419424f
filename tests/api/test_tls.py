"""The API client's CA bundle is loaded before its first https request, not when it is made
(``api.tls``, issue 18): a client of an http:// control plane never loads it, a client of an
https:// one verifies exactly as httpx's own context did (a real TLS server on loopback)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.api import errors
from reconciler.api.client import ApiClient
from reconciler.api.tls import DeferredTrust
from tests.servers.azurekv import certificate
from tests.servers.jsonhttp import JsonHandler, run

from .fakeapi import run as run_async


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy variable of the machine's loads the bundle at once (see the proxy test)."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def settings(context: ssl.SSLContext) -> dict[str, Any]:
    return {
        "protocol": context.protocol,
        "verify_mode": context.verify_mode,
        "check_hostname": context.check_hostname,
        "options": context.options,
        "minimum_version": context.minimum_version,
        "maximum_version": context.maximum_version,
        "verify_flags": context.verify_flags,
        "keylog_filename": context.keylog_filename,
        "ca_certs": context.get_ca_certs(),
        "stats": context.cert_store_stats(),
        "ciphers": context.get_ciphers(),
    }


@pytest.mark.parametrize("env", [{}, {"SSLKEYLOGFILE": "keys.log"}, {"SSL_CERT_FILE": "CA"}])
def test_the_loaded_context_is_the_one_httpx_makes(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi

    for name in ("SSLKEYLOGFILE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(tmp_path / value) if name == "SSLKEYLOGFILE" else value)
    if "SSL_CERT_FILE" in env:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate(tmp_path)[0]))
    trust = DeferredTrust()
    assert trust.context.cert_store_stats()["x509_ca"] == 0  # nothing loaded yet
    trust.load()
    assert settings(trust.context) == settings(httpx.create_ssl_context())
    assert certifi.where()  # the default bundle is the one compared when no variable is set


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "http_proxy", "ALL_PROXY"])
def test_with_a_proxy_the_bundle_is_loaded_at_once(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An https proxy's handshake uses the client's context even for an http:// request."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert not DeferredTrust().loaded
    monkeypatch.setenv(variable, "https://proxy.example.invalid:3128")
    trust = DeferredTrust()
    assert trust.loaded and trust.context.cert_store_stats()["x509_ca"] > 0


class Organizations(JsonHandler):
    def _route(self, method: str) -> None:
        if self.path.endswith("/applications/token"):
            self._answer(200, {"access_token": "t", "token_type": "Bearer", "expires_in": 900})
        else:
            self._answer(200, {"data": [{"organizationId": "o"}]})


def serve(tls: tuple[Path, Path] | None) -> Iterator[str]:
    return run(Organizations, lambda url, port: url, name="tls-test", tls=tls)


def organizations(url: str) -> tuple[Any, DeferredTrust | None]:
    async def go() -> tuple[Any, DeferredTrust | None]:
        client = ApiClient(
            f"{url}/api/public/v1",
            client_id="i",
            client_secret="s",
            max_attempts=1,
            retry_unreachable=False,
        )
        async with client:
            try:
                return await client.list_organizations(), client.trust
            except errors.ApiError as error:
                return error, client.trust

    return run_async(go())


def test_an_http_control_plane_never_loads_the_bundle() -> None:
    served = serve(None)
    url = next(served)
    try:
        found, trust = organizations(url)
    finally:
        served.close()
    assert found == [{"organizationId": "o"}]
    assert trust is not None and not trust.loaded
    assert trust.context.cert_store_stats()["x509_ca"] == 0


def test_an_https_control_plane_is_verified_against_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate(tmp_path)
    served = serve((cert, key))
    url = next(served)
    try:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        refused, trust = organizations(url)  # certifi's bundle: the test CA is not in it
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        found, trusted = organizations(url)  # the test CA, read before the handshake
    finally:
        served.close()
    assert isinstance(refused, errors.TransportError)
    assert "CERTIFICATE_VERIFY_FAILED" in refused.render()
    assert trust is not None and trust.loaded
    assert found == [{"organizationId": "o"}]
    assert trusted is not None and trusted.loaded


def test_an_injected_transport_is_used_as_given() -> None:
    client = ApiClient(
        "https://x/api/public/v1",
        client_id="i",
        client_secret="s",
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
    )
    assert client.trust is None
