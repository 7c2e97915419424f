"""Suite-wide fixtures: the loopback servers of ``tests/servers`` (moto, OpenBao, emulations)."""

from tests.servers.conftest_plugin import aws_env, gcpsm, moto_server, openbao

__all__ = ["aws_env", "gcpsm", "moto_server", "openbao"]
