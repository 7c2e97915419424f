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

The pool's bookkeeping: httpcore runs ``_assign_requests_to_connections`` whenever a request
joins or leaves the pool (about five times a request), and for every idle connection it counts
the pool's connections by building a list of every connection's ``is_idle()``: n² calls a
turn, 100,000 of them and 9% of the client's CPU in a 10,000-workspace plan at 16 connections.
`assign_requests` is the same method with the count taken as ``len`` (the list's length was
always the number of connections) and the first available or idle connection found without
listing them all: the same connections closed, reused and made, in the same order.

`use_for` installs both on an ``httpx.AsyncClient``'s connection pools (its own and
every proxy mount's). Those are private attributes of httpx and httpcore; where one is
missing (another version), the client is left exactly as httpx made it; the bookkeeping only
where the pool's method is httpcore's own with the names of the one it replaces (another
httpcore keeps its own). Must not: change
what is sent or received, or fail where httpx's own backend would not.
"""

from __future__ import annotations

import ssl
import types
import typing
from collections.abc import Iterable

import httpcore
import httpx

try:
    from httpcore._utils import is_socket_readable
except ImportError:  # another httpcore: `use_for` then leaves clients alone
    is_socket_readable = None  # type: ignore[assignment]

__all__ = ["Backend", "Stream", "assign_requests", "use_for"]


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
    linear = _replaceable(httpcore.AsyncConnectionPool)
    for pool in pools:
        pool._network_backend = backend
        if linear and _replaceable(type(pool)):
            # An instance attribute: the class (shared by every other client) is untouched.
            pool._assign_requests_to_connections = types.MethodType(assign_requests, pool)  # type: ignore[method-assign]
    return True


#: The names httpcore 1.0's ``_assign_requests_to_connections`` uses, which `assign_requests`
#: was written from: a pool whose method uses others is another httpcore's, left alone.
_ASSIGN_NAMES = (
    *("list", "_connections", "is_closed", "remove", "has_expired", "append", "is_idle", "len"),
    *("_max_keepalive_connections", "_requests", "request", "url", "origin"),
    *("assign_to_connection", "_max_connections", "create_connection"),
)


def _replaceable(pool_type: type) -> bool:
    method = getattr(pool_type, "_assign_requests_to_connections", None)
    code = getattr(method, "__code__", None)
    return (
        method is getattr(httpcore.AsyncConnectionPool, "_assign_requests_to_connections", None)
        and code is not None
        and code.co_names == _ASSIGN_NAMES
    )


def assign_requests(pool: typing.Any) -> list[typing.Any]:
    """httpcore's ``AsyncConnectionPool._assign_requests_to_connections`` (1.0), linear: drop
    closed connections, close expired ones and idle ones while the pool holds more than its
    keep-alive limit, then give each queued request the first connection that can take it, a
    new one below the pool's limit, or a new one in place of the first idle one. Returns the
    connections to close, as httpcore's does."""
    closing = []
    connections = pool._connections
    for connection in list(connections):
        if connection.is_closed():
            connections.remove(connection)
        elif connection.has_expired() or (
            connection.is_idle() and len(connections) > pool._max_keepalive_connections
        ):
            connections.remove(connection)
            closing.append(connection)
    for pool_request in [request for request in pool._requests if request.is_queued()]:
        origin = pool_request.request.url.origin
        available = next(
            (c for c in connections if c.can_handle_request(origin) and c.is_available()), None
        )
        if available is not None:
            pool_request.assign_to_connection(available)
        elif len(connections) < pool._max_connections:
            connection = pool.create_connection(origin)
            connections.append(connection)
            pool_request.assign_to_connection(connection)
        else:
            idle = next((c for c in connections if c.is_idle()), None)
            if idle is not None:
                connections.remove(idle)
                closing.append(idle)
                connection = pool.create_connection(origin)
                connections.append(connection)
                pool_request.assign_to_connection(connection)
    return closing
