"""Suite-wide fixtures: the loopback servers of ``tests/servers`` (moto, OpenBao, emulations),
and the real ``helm`` / ``kubectl`` binaries of ``tests/toolcache.py``."""

import pytest

from tests.servers.conftest_plugin import (
    aws_env,
    azurekv,
    azurekv_certificate,
    gcpsm,
    moto_server,
    openbao,
)
from tests.toolcache import helm, kubectl

__all__ = [
    "aws_env",
    "azurekv",
    "azurekv_certificate",
    "gcpsm",
    "helm",
    "kubectl",
    "moto_server",
    "openbao",
]


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs are the same on a laptop and in CI: ``CI`` changes what plan refuses (issue 11)."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture(scope="session")
def _parse_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("parse-cache"))


@pytest.fixture(autouse=True)
def _parse_cache(monkeypatch: pytest.MonkeyPatch, _parse_cache_dir: str) -> None:
    """The parse cache (``config.parsecache``) on, as for a user, in a folder of the test
    session's, never the user's ``~/.cache``: configs the suite loads again (the example,
    the broken ones) are read back from it, so their diagnostics are checked warm too."""
    monkeypatch.setenv("FLEXCTL_CACHE_DIR", _parse_cache_dir)
    monkeypatch.delenv("FLEXCTL_NO_CACHE", raising=False)
