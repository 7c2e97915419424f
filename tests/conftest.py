"""Suite-wide fixtures: the loopback servers of ``tests/servers`` (moto, OpenBao)."""

from tests.servers.conftest_plugin import aws_env, moto_server, openbao

__all__ = ["aws_env", "moto_server", "openbao"]
