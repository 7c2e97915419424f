"""Fixtures of the API client tests; the fake server itself is in `fakeapi`."""

from __future__ import annotations

import pytest

from .fakeapi import FakeApi


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()
