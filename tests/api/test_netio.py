"""The API client's network backend (``api.netio``) against real servers on loopback: it is
installed (a newer httpx or httpcore that stops it shows here), keep-alive connections are
reused, a connection the server closed while idle is seen dead and replaced (what the pool's
``is_readable`` check is for), TLS and proxies work through it, and a client it does not
recognise is left alone."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from reconciler.api import netio
from reconciler.api.client import ApiClient
from tests.servers.azurekv import certificate
from tests.servers.jsonhttp import JsonHandler, run

from .fakeapi import run as run_async

_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's proxy variables would send loopback requests elsewhere."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@dataclass
class Served:
    url: str
    #: The client port of every request, in order: one port is one connection.
    ports: list[int] = field(default_factory=list)
    #: Set once the server has closed a connection after answering ``/hang-up``.
    hung_up: threading.Event = field(default_factory=threading.Event)


class KeepAlive(JsonHandler):
    """HTTP/1.1 with keep-alive; ``/hang-up`` answers, then closes the connection without
    saying so in the answer (as a server closing an idle connection does)."""

    protocol_version = "HTTP/1.1"
    server: Any

    def _route(self, method: str) -> None:
        state: Served = self.server.state
        state.ports.append(self.client_address[1])
        self._answer(200, {"path": self.path})
        if self.path.endswith("/hang-up"):
            self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True
            state.hung_up.set()


def serve(tls: tuple[Path, Path] | None = None) -> Iterator[Served]:
    return run(KeepAlive, lambda url, port: Served(url), name="netio-test", tls=tls)


@pytest.fixture
def served() -> Iterator[Served]:
    server = serve()
    yield next(server)
    server.close()


def pools(client: httpx.AsyncClient) -> list[httpcore.AsyncConnectionPool]:
    transports = [client._transport, *client._mounts.values()]
    return [t._pool for t in transports if isinstance(t, httpx.AsyncHTTPTransport)]


def api_client(url: str) -> ApiClient:
    return ApiClient(f"{url}/api/public/v1", client_id="i", client_secret="s", max_attempts=1)


def test_the_api_client_pool_uses_the_backend() -> None:
    http = api_client("http://127.0.0.1:1")._http
    assert [type(pool._network_backend) for pool in pools(http)] == [netio.Backend]


def test_with_proxy_variables_every_mount_uses_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3129")
    http = api_client("http://127.0.0.1:1")._http
    found = pools(http)
    assert len(found) == 3  # the client's own, the http:// and the https:// proxy
    assert {type(pool) for pool in found[1:]} == {httpcore.AsyncHTTPProxy}
    assert len({id(pool._network_backend) for pool in found}) == 1
    assert isinstance(found[0]._network_backend, netio.Backend)


def paths(urls: list[str]) -> list[str]:
    """GET each URL in turn with one client on the backend: the paths the server saw."""

    async def go() -> list[str]:
        async with httpx.AsyncClient() as client:
            assert netio.use_for(client)
            answers = []
            for url in urls:
                response = await client.get(url)
                assert isinstance(response.extensions["network_stream"], netio.Stream)
                answers.append(response.json()["path"])
            return answers

    return run_async(go())


def test_many_requests_share_one_keep_alive_connection(served: Served) -> None:
    assert paths([f"{served.url}/n/{n}" for n in range(50)]) == [f"/n/{n}" for n in range(50)]
    assert len(served.ports) == 50 and len(set(served.ports)) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced(served: Served) -> None:
    def readable(stream: Any) -> list[bool]:
        # httpcore's own answer, from the anyio stream underneath, is the reference.
        return [stream.get_extra_info("is_readable"), stream._stream.get_extra_info("is_readable")]

    async def go() -> tuple[list[bool], list[bool], str]:
        async with httpx.AsyncClient() as client:
            assert netio.use_for(client)
            stream = (await client.get(f"{served.url}/one")).extensions["network_stream"]
            idle = readable(stream)  # the server waits for the next request: nothing to read
            await client.get(f"{served.url}/hang-up")
            assert await asyncio.to_thread(served.hung_up.wait, 5)
            closed = readable(stream)
            again = await client.get(f"{served.url}/again")
            return idle, closed, again.json()["path"]

    idle, closed, path = run_async(go())
    assert (idle, closed) == ([False, False], [True, True])
    assert path == "/again"
    first, hung_up, second = served.ports
    assert first == hung_up != second  # the same connection until the hang-up, then a new one


def test_https_on_loopback(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    server = serve((cert, key))
    served = next(server)
    try:

        async def go() -> tuple[str, str | None, bool]:
            context = ssl.create_default_context(cafile=str(cert))
            async with httpx.AsyncClient(verify=context) as client:
                assert netio.use_for(client)
                first = await client.get(f"{served.url}/one")
                second = await client.get(f"{served.url}/two")
                stream = second.extensions["network_stream"]
                assert isinstance(stream, netio.Stream)
                # The TCP socket under the TLS layer, as anyio's TLS stream gives it.
                raw = stream.get_extra_info("socket")
                assert raw is not None and raw is stream._stream.get_extra_info("socket")
                assert raw.fileno() >= 0 and not stream.get_extra_info("is_readable")
                ssl_object = stream.get_extra_info("ssl_object")
                return (
                    first.json()["path"] + second.json()["path"],
                    ssl_object.version(),
                    bool(ssl_object.getpeercert()),
                )

        paths, version, peer = run_async(go())
    finally:
        server.close()
    assert paths == "/one/two"
    assert version is not None and version.startswith("TLS")
    assert peer
    assert len(set(served.ports)) == 1


def test_a_request_through_a_proxy_mount(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loopback server is the forward proxy: it answers the absolute URL it is sent."""
    monkeypatch.setenv("HTTP_PROXY", served.url)

    urls = [f"http://control.example.invalid/n/{n}" for n in range(3)]
    assert paths(urls) == urls
    assert len(set(served.ports)) == 1


class Bare:
    """No httpx internals at all."""


def test_an_unknown_client_is_left_unchanged() -> None:
    bare = Bare()
    assert not netio.use_for(bare)  # type: ignore[arg-type]
    assert vars(bare) == {}

    mocked = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    transport = mocked._transport
    assert not netio.use_for(mocked)
    assert mocked._transport is transport and not hasattr(transport, "_pool")


def test_one_unknown_mount_leaves_every_pool_as_it_was() -> None:
    client = httpx.AsyncClient(
        mounts={"http://other.invalid": httpx.MockTransport(lambda r: httpx.Response(200))}
    )
    backend = client._transport._pool._network_backend  # type: ignore[attr-defined]
    assert not netio.use_for(client)
    assert client._transport._pool._network_backend is backend  # type: ignore[attr-defined]
    assert not isinstance(backend, netio.Backend)


def test_the_api_client_pools_use_the_linear_bookkeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3129")
    http = api_client("http://127.0.0.1:1")._http
    found = pools(http)
    assert len(found) == 2
    for pool in found:
        assert pool._assign_requests_to_connections.__func__ is netio.assign_requests
    # The class every other pool shares keeps httpcore's method.
    assert "_assign_requests_to_connections" in vars(found[0])
    assert httpcore.AsyncConnectionPool._assign_requests_to_connections is not netio.assign_requests


class Origin:
    def __init__(self, name: str) -> None:
        self.name = name


@dataclass(eq=False)
class FakeConnection:
    """The state the bookkeeping reads, as flags; every call it makes is counted."""

    origin: Origin
    closed: bool = False
    expired: bool = False
    idle: bool = False
    available: bool = False
    calls: list[str] = field(default_factory=list)

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        self.calls.append("has_expired")  # a syscall in httpcore: the same ones, in order
        return self.expired

    def is_idle(self) -> bool:
        return self.idle

    def is_available(self) -> bool:
        return self.available

    def can_handle_request(self, origin: Origin) -> bool:
        return origin is self.origin


@dataclass(eq=False)
class FakeRequest:
    origin: Origin
    queued: bool
    given: Any = None

    @property
    def request(self) -> Any:
        return type("R", (), {"url": type("U", (), {"origin": self.origin})})()

    def is_queued(self) -> bool:
        return self.queued

    def assign_to_connection(self, connection: Any) -> None:
        self.given = connection


@dataclass(eq=False)
class FakePool:
    _connections: list[FakeConnection]
    _requests: list[FakeRequest]
    _max_connections: int
    _max_keepalive_connections: int
    made: list[FakeConnection] = field(default_factory=list)

    def create_connection(self, origin: Origin) -> FakeConnection:
        made = FakeConnection(origin, available=False)
        self.made.append(made)
        return made


def _outcome(pool: FakePool, closing: list[Any]) -> tuple[Any, ...]:
    index = {id(c): n for n, c in enumerate([*pool._connections, *closing, *pool.made])}
    order = {id(c): n for n, c in enumerate(pool.made)}

    def name(c: Any) -> str:
        return f"new{order[id(c)]}" if id(c) in order else f"{c.origin.name}:{index[id(c)]}"

    return (
        [name(c) for c in pool._connections],
        [name(c) for c in closing],
        [None if r.given is None else name(r.given) for r in pool._requests],
    )


def test_the_linear_bookkeeping_does_what_httpcores_does() -> None:
    """httpcore's own method and `assign_requests` on the same random pools (closed,
    expired, idle and busy connections of two origins, queued and running requests, limits
    reached or not): the same connections kept, closed and made, the same request given
    each, the same expiry checks in the same order."""
    import random

    original = httpcore.AsyncConnectionPool._assign_requests_to_connections
    rng = random.Random(18)
    origins = [Origin("a"), Origin("b")]
    for _ in range(3000):
        states = [
            dict(
                origin=rng.choice(origins),
                closed=rng.random() < 0.15,
                expired=rng.random() < 0.15,
                idle=rng.random() < 0.5,
                available=rng.random() < 0.4,
            )
            for _ in range(rng.randrange(0, 12))
        ]
        requests = [(rng.choice(origins), rng.random() < 0.6) for _ in range(rng.randrange(0, 8))]
        limits = (rng.randrange(1, 14), rng.randrange(0, 10))

        def build(
            states: list[dict[str, Any]] = states,
            requests: list[tuple[Origin, bool]] = requests,
            limits: tuple[int, int] = limits,
        ) -> FakePool:
            return FakePool(
                [FakeConnection(**state) for state in states],  # type: ignore[arg-type]
                [FakeRequest(o, q) for o, q in requests],
                *limits,
            )

        theirs, ours = build(), build()
        before_theirs, before_ours = list(theirs._connections), list(ours._connections)
        expected = _outcome(theirs, original(theirs))  # type: ignore[arg-type]
        got = _outcome(ours, netio.assign_requests(ours))
        assert got == expected, (states, requests, limits)
        assert [c.calls for c in before_ours] == [c.calls for c in before_theirs]


def test_another_httpcores_bookkeeping_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(self: Any) -> list[Any]:
        return []

    monkeypatch.setattr(httpcore.AsyncConnectionPool, "_assign_requests_to_connections", changed)
    http = api_client("http://127.0.0.1:1")._http
    (pool,) = pools(http)
    assert isinstance(pool._network_backend, netio.Backend)
    assert "_assign_requests_to_connections" not in vars(pool)
