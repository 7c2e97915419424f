"""Engine tests run against the embedded control plane in-process, never a configured one."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import EXAMPLE_USERS, World


@pytest.fixture(autouse=True)
def _no_airbyte_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AIRBYTE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World.create(tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def applied(world: World) -> World:
    """The example applied once, its users signed in."""
    world.add_users(*EXAMPLE_USERS)
    asyncio.run(world.converge())
    return world
