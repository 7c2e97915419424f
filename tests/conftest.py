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
