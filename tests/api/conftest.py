"""Fixtures of the API client tests; the fake server itself is in `fakeapi`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.controlplane import AdminCredentials, ControlPlane, open_embedded

from .fakeapi import FakeApi


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[ControlPlane, AdminCredentials]]:
    """The real embedded control plane (in-process), with its admin credentials."""
    plane, creds = open_embedded(tmp_path / "state")
    try:
        yield plane, creds
    finally:
        plane.close()
