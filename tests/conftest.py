"""Suite-wide fixtures: the loopback servers of ``tests/servers`` (moto, OpenBao, emulations)."""

import pytest

from tests.servers.conftest_plugin import (
    aws_env,
    azurekv,
    azurekv_certificate,
    gcpsm,
    moto_server,
    openbao,
)

__all__ = ["aws_env", "azurekv", "azurekv_certificate", "gcpsm", "moto_server", "openbao"]


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs are the same on a laptop and in CI: ``CI`` changes what plan refuses (issue 11)."""
    monkeypatch.delenv("CI", raising=False)
