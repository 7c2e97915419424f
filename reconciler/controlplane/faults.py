"""Fault injection for tests and benchmarks: latency, refusals, and writes whose answer is lost.

Off by default. An ASGI middleware in front of the whole app; every random draw comes from
one ``random.Random(seed)`` per configuration, so a sequential run is reproducible.

* ``latency_ms`` is slept before every request.
* ``rate_429`` / ``rate_500`` / ``rate_503`` answer a share of requests before anything runs:
  429 with Airbyte's plain ``{"message": ...}`` body and no ``Retry-After``; 500 and 503 as
  problems. Nothing is written.
* ``lost_write_rate`` takes a share of *successful* public-API writes (POST/PATCH/DELETE,
  not the token endpoints): the transaction has committed, then the answer is replaced.
  Mode ``"500"`` answers an ``unexpected-problem``; mode ``"drop"`` loses the connection;
  ``"mixed"`` picks one of the two at random.

How a drop looks: on a real socket the middleware sends the response head and then returns
without a body, so uvicorn closes the connection and httpx raises ``httpx.RemoteProtocolError``
("peer closed connection without sending complete message body"). In-process there is no
socket, so the middleware raises ``DroppedConnection``, itself an ``httpx.RemoteProtocolError``,
which ``httpx.ASGITransport`` passes through to the caller. Either way the client sees an
``httpx.TransportError``, as for a network failure. ``/_embedded/`` routes see no faults.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Literal

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.controlplane import problems

IN_PROCESS_KEY = "flexctl.in_process"
_WRITES = frozenset({"POST", "PATCH", "DELETE", "PUT"})


@dataclass(frozen=True)
class FaultConfig:
    seed: int = 0
    latency_ms: float = 0.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    lost_write_rate: float = 0.0
    lost_write_mode: Literal["500", "drop", "mixed"] = "mixed"

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_500, self.rate_503, self.lost_write_rate)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates[:3]) > 1.0:
            raise ValueError("fault rates must be within 0..1 and the refusal rates sum to <= 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.lost_write_mode not in ("500", "drop", "mixed"):
            raise ValueError("lost_write_mode must be 500, drop or mixed")


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised in-process where a real server would close the connection mid-answer."""


@dataclass(frozen=True)
class _Active:
    config: FaultConfig
    rng: random.Random


class FaultSwitch:
    """The live fault configuration, shared by the control plane and its middleware."""

    def __init__(self) -> None:
        self.active: _Active | None = None

    def set(self, config: FaultConfig | None) -> None:
        self.active = None if config is None else _Active(config, random.Random(config.seed))  # noqa: S311 (reproducible, not secret)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, switch: FaultSwitch) -> None:
        self.app = app
        self.switch = switch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        active = self.switch.active
        if active is None or scope["type"] != "http" or scope["path"].startswith("/_embedded/"):
            await self.app(scope, receive, send)
            return
        config, rng = active.config, active.rng
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        draw = rng.random()
        if draw < config.rate_429:
            await problems.rate_limited()(scope, receive, send)
            return
        if draw < config.rate_429 + config.rate_500:
            await problems.unexpected("injected fault").response()(scope, receive, send)
            return
        if draw < config.rate_429 + config.rate_500 + config.rate_503:
            await problems.unavailable().response()(scope, receive, send)
            return
        if config.lost_write_rate and _is_public_write(scope):
            await self._lose_answers(active, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _lose_answers(
        self, active: _Active, scope: Scope, receive: Receive, send: Send
    ) -> None:
        config, rng = active.config, active.rng
        mode: str | None = None  # decided when the (committed) answer's status is known

        async def intercept(message: Message) -> None:
            nonlocal mode
            if (
                message["type"] == "http.response.start"
                and 200 <= message["status"] < 300
                and rng.random() < config.lost_write_rate
            ):
                mode = config.lost_write_mode
                if mode == "mixed":
                    mode = rng.choice(("500", "drop"))
                if mode == "drop" and not scope.get(IN_PROCESS_KEY):
                    await send(message)  # the head goes out, the body never does
                return
            if mode is None:
                await send(message)

        await self.app(scope, receive, intercept)
        if mode == "500":
            await problems.unexpected("injected fault after commit").response()(
                scope, receive, send
            )
        elif mode == "drop" and scope.get(IN_PROCESS_KEY):
            raise DroppedConnection("injected fault: connection dropped after commit")


def _is_public_write(scope: Scope) -> bool:
    path: str = scope["path"]
    return (
        scope["method"] in _WRITES
        and not path.endswith("/token")
        and not path.startswith("/api/v1/")
    )
