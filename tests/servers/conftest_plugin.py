"""Session fixtures for the loopback servers; enabled from tests/conftest.py.

- ``moto_server``: the URL of moto's standalone server (S3 with conditional writes,
  Secrets Manager). Tests isolate themselves by bucket / secret name, not by server.
- ``aws_env``: monkeypatched standard AWS variables pointing boto3 at that server.
- ``openbao``: an OpenBao dev server (KV v2 at ``secret/``) with its root token.
- ``gcpsm``: the local Google Secret Manager emulation (in-process, ``gcpsm.py``).
- ``azurekv``: the local Azure Key Vault + Entra ID emulation over HTTPS (in-process,
  ``azurekv.py``), one per test, its certificate trusted through ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .azurekv import AzureKeyVault, certificate
from .azurekv import serve as serve_azurekv
from .gcpsm import GcpSecretManager
from .gcpsm import serve as serve_gcpsm
from .procs import Server, find_binary, free_port, start


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = find_binary("moto_server")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = start(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        url=f"http://127.0.0.1:{port}",
        probe="/moto-api/",
        log=log,
    )
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the standard AWS credential chain and endpoint variables at moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    return moto_server


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class OpenBao:
    url: str
    root_token: str


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    binary = find_binary("bao")
    port = free_port()
    token = f"root-{uuid.uuid4().hex}"
    home: Path = tmp_path_factory.mktemp("openbao")
    server: Server = start(
        [
            binary,
            "server",
            "-dev",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={token}",
        ],
        url=f"http://127.0.0.1:{port}",
        probe="/v1/sys/health",
        log=home / "bao.log",
        env={"HOME": str(home), "BAO_ADDR": f"http://127.0.0.1:{port}"},
    )
    try:
        yield OpenBao(server.url, token)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcpsm() -> Iterator[GcpSecretManager]:
    """The local Secret Manager emulation (tests/servers/gcpsm.py): no real server exists."""
    yield from serve_gcpsm()


@pytest.fixture(scope="session")
def azurekv_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return certificate(tmp_path_factory.mktemp("azurekv"))


@pytest.fixture
def azurekv(
    azurekv_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[AzureKeyVault]:
    """A fresh Key Vault emulation (tests/servers/azurekv.py: no local server exists), its
    certificate trusted by the SDK's HTTP stack, no ambient Azure login in the environment."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "IDENTITY_", "MSI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurekv_certificate[0]))
    yield from serve_azurekv(*azurekv_certificate)
