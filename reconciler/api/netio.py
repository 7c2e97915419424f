"""The API client's network backend: httpcore's anyio streams, with the raw socket kept.

Before every request httpcore asks each idle pooled connection whether its socket is
readable (an idle HTTP/1.1 socket with bytes waiting is a server that hung up):
``stream.get_extra_info("is_readable")``. anyio answers that by building the stream's whole
``extra_attributes`` mapping (a ``getpeername`` call, a dozen lambdas, a TLS stream's merged
with its transport's) to find the one socket, which does not change once the stream is made:
22% of the client's CPU per request in a 10,000-workspace plan. `Stream` looks the socket up
once (after connect and after ``start_tls``) and answers ``"socket"`` and ``"is_readable"``
from it, the latter with httpcore's own ``is_socket_readable``, so a connection is judged
dead exactly when httpcore would judge it so. Every other call goes to anyio's stream.

`use_for` installs the backend on an ``httpx.AsyncClient``'s connection pools (its own and
every proxy mount's). Those are private attributes of httpx and httpcore; where one is
missing (another version), the client is left exactly as httpx made it. Must not: change
what is sent or received, or fail where httpx's own backend would not.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable

import httpcore
import httpx

try:
    from httpcore._utils import is_socket_readable
except ImportError:  # another httpcore: `use_for` then leaves clients alone
    is_socket_readable = None  # type: ignore[assignment]

__all__ = ["Backend", "Stream", "use_for"]


class Stream(httpcore.AsyncNetworkStream):
    """One connection's stream: anyio's, with its raw socket looked up once."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        # The same object httpcore fetches on every check; after aclose it stays this
        # (closed) socket, whose fileno() of -1 reads as readable, as it does for httpcore.
        self._socket = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> Stream:
        return Stream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return is_socket_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._stream.get_extra_info(info)


class Backend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, its streams wrapped in `Stream`."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> Stream:
        return Stream(
            await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> Stream:
        return Stream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def use_for(client: httpx.AsyncClient) -> bool:
    """Give every connection pool of ``client`` (its transport's, its proxy mounts') one
    `Backend`; True when it did. Installs on all pools or on none: a pool without the
    attribute httpcore reads its backend from (``_network_backend``, read when a connection
    is made) means another httpx or httpcore, whose client is left as it is."""
    if is_socket_readable is None:
        return False
    own = getattr(client, "_transport", None)
    mounts = getattr(client, "_mounts", None)
    if own is None or not isinstance(mounts, dict):
        return False
    pools = []
    # A mount of None is a pattern with no proxy (NO_PROXY): those URLs use the client's own.
    for transport in (own, *(mount for mount in mounts.values() if mount is not None)):
        pool = getattr(transport, "_pool", None)
        if not isinstance(pool, httpcore.AsyncConnectionPool):
            return False
        if not isinstance(getattr(pool, "_network_backend", None), httpcore.AsyncNetworkBackend):
            return False
        pools.append(pool)
    backend = Backend()
    for pool in pools:
        pool._network_backend = backend
    return True
