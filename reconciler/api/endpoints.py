"""What an endpoint mixin of `ApiClient` needs from it: send a call, read a list or an object.

The endpoint groups (`workspaces`, `groups`) are mixins only to keep modules small; this base
names the three primitives `ApiClient` implements, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import httpx

from reconciler.api.session import Call


class Endpoints(ABC):
    @abstractmethod
    async def _send(self, call: Call) -> httpx.Response: ...

    @abstractmethod
    async def _list(self, call: Call, required: Sequence[str] = ()) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def _one(self, call: Call, required: Sequence[str] = ()) -> dict[str, Any]: ...
