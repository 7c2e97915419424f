"""The async control-plane API client: one method per endpoint the reconciler uses.

`ApiClient` speaks the public REST API of Airbyte (Cloud / Enterprise Flex at
``https://api.airbyte.com/v1``, self-managed at ``https://HOST/api/public/v1``,
and the embedded control plane). It follows the server, not the spec (see
shared/notes/airbyte-api.md): bare-array lists, own-offset pagination, lower-
cased ``dataResidency``. Each method gives its call a short resource label
that every error carries. Auth, retries, concurrency and error mapping live in
`reconciler.api.session`; this module builds calls and checks answers only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

import httpx

from reconciler.api import errors, netio
from reconciler.api.calls import CallCounter
from reconciler.api.connections import ConnectionEndpoints
from reconciler.api.connectors import ConnectorEndpoints
from reconciler.api.groups import GroupEndpoints
from reconciler.api.payloads import drop_none, list_items, one_object
from reconciler.api.problems import Redactor
from reconciler.api.retry import RetryPolicy
from reconciler.api.session import Call, Session, decode_json
from reconciler.api.tls import DeferredTrust
from reconciler.api.types import (
    DataplaneCreated,
    DataplaneRead,
    OrganizationRead,
    RegionRead,
    Secret,
)
from reconciler.api.urls import normalise_base_url
from reconciler.api.workspaces import WorkspaceEndpoints

__all__ = ["ApiClient"]

_REGION = ("regionId", "name", "organizationId", "enabled")
_DATAPLANE = ("dataplaneId", "name", "regionId", "enabled")


class ApiClient(WorkspaceEndpoints, ConnectionEndpoints, ConnectorEndpoints, GroupEndpoints):
    """Async client of the control-plane public API (use as ``async with``)."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 16,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_elapsed: float = 120.0,
        timeout_total: float = 3600.0,
        retry_unreachable: bool = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.max_concurrency = max_concurrency
        #: httpx's own transport's TLS context, its CA bundle loaded before the first https
        #: request (``api.tls``), not now: a control plane at http:// never needs it.
        self.trust = DeferredTrust() if transport is None else None
        if self.trust is not None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url + "/",
                timeout=timeout,
                verify=self.trust.context,
                event_hooks={"request": [self.trust.before]},
            )
            # The pool's idle-connection check without anyio's per-call attribute rebuild
            # (`api.netio`); a httpx whose internals differ keeps its own backend.
            netio.use_for(self._http)
        else:
            self._http = httpx.AsyncClient(
                base_url=self.base_url + "/", transport=transport, timeout=timeout
            )
        grant = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        # JSON first: every server version parses it, while some self-managed servers answer
        # 401 to the form body the Python SDK sends. The form body stays as the fallback.
        token_calls = tuple(
            Call(
                "POST",
                "/applications/token",
                resource="API client credentials",
                json=grant if encoding == "json" else None,
                form=grant if encoding == "form" else None,
                bearer=False,
                is_token=True,
                read_only=True,
            )
            for encoding in ("json", "form")
        )
        self._session = Session(
            self._http,
            token_call=token_calls,
            policy=RetryPolicy(
                max_attempts=max_attempts,
                max_elapsed=max_elapsed,
                throttle_deadline=timeout_total,
                retry_unreachable=retry_unreachable,
            ),
            max_concurrency=max_concurrency,
            sleep=sleep,
            clock=clock,
            redactor=Redactor(client_secret),
        )

    @property
    def calls(self) -> CallCounter:
        return self._session.calls

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r})"

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call) -> httpx.Response:
        return await self._session.request(call)

    async def _list(self, call: Call, required: Sequence[str] = ()) -> list[dict[str, Any]]:
        return list_items(await self._send(call), call, required=required)

    async def _one(self, call: Call, required: Sequence[str] = ()) -> dict[str, Any]:
        return one_object(await self._send(call), call, required=required)

    # organizations ------------------------------------------------------------------

    async def list_organizations(self) -> list[OrganizationRead]:
        call = Call("GET", "/organizations", "organizations")
        return cast(list[OrganizationRead], await self._list(call, ("organizationId",)))

    # regions ------------------------------------------------------------------------

    async def list_regions(self, organization_id: str) -> list[RegionRead]:
        """Every region visible to the org, Airbyte-managed ones included (caller filters)."""
        call = Call(
            "GET",
            "/regions",
            f"regions of organization {organization_id}",
            params=[("organizationId", organization_id)],
        )
        return cast(list[RegionRead], await self._list(call, _REGION))

    async def create_region(self, *, name: str, organization_id: str, enabled: bool) -> RegionRead:
        body = {"name": name, "organizationId": organization_id, "enabled": enabled}
        call = Call("POST", "/regions", f"region {name!r}", json=body, create=True)
        return cast(RegionRead, await self._one(call, _REGION))

    async def update_region(
        self,
        region_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        label: str | None = None,
    ) -> RegionRead:
        call = Call(
            "PATCH",
            "/regions/{regionId}",
            label or f"region {region_id}",
            ids={"regionId": region_id},
            json=drop_none(name=name, enabled=enabled),
        )
        return cast(RegionRead, await self._one(call, _REGION))

    async def delete_region(self, region_id: str, *, label: str | None = None) -> None:
        """Soft delete; the server also deletes the region's data planes."""
        ids = {"regionId": region_id}
        call = Call("DELETE", "/regions/{regionId}", label or f"region {region_id}", ids=ids)
        await self._send(call)

    # data planes --------------------------------------------------------------------

    async def list_dataplanes(self, region_ids: Sequence[str] | None = None) -> list[DataplaneRead]:
        """Data planes of the given regions; None means all visible, an empty list none."""
        if region_ids is not None and not region_ids:
            return []
        params = [("regionIds", region_id) for region_id in region_ids or ()]
        call = Call("GET", "/dataplanes", "data planes", params=params)
        return cast(list[DataplaneRead], await self._list(call, _DATAPLANE))

    async def create_dataplane(
        self, *, region_id: str, name: str, enabled: bool
    ) -> DataplaneCreated:
        """Create a data plane; the answer holds its credentials, shown this once only."""
        body = {"regionId": region_id, "name": name, "enabled": enabled}
        resource = f"data plane {name!r} in region {region_id}"
        call = Call("POST", "/dataplanes", resource, json=body, create=True)
        raw = await self._one(call, ("dataplaneId", "regionId", "clientId", "clientSecret"))
        secret = Secret(str(raw["clientSecret"]))
        self._session.redactor.add(secret)
        return DataplaneCreated(
            dataplaneId=str(raw["dataplaneId"]),
            regionId=str(raw["regionId"]),
            clientId=str(raw["clientId"]),
            clientSecret=secret,
        )

    async def update_dataplane(
        self,
        dataplane_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        label: str | None = None,
    ) -> DataplaneRead:
        call = Call(
            "PATCH",
            "/dataplanes/{dataplaneId}",
            label or f"data plane {dataplane_id}",
            ids={"dataplaneId": dataplane_id},
            json=drop_none(name=name, enabled=enabled),
        )
        return cast(DataplaneRead, await self._one(call, _DATAPLANE))

    async def delete_dataplane(self, dataplane_id: str, *, label: str | None = None) -> None:
        ids = {"dataplaneId": dataplane_id}
        resource = label or f"data plane {dataplane_id}"
        await self._send(Call("DELETE", "/dataplanes/{dataplaneId}", resource, ids=ids))

    async def dataplane_token(self, url: str, *, client_id: str, client_secret: str) -> bool:
        """Do these data-plane credentials get a token at `url`? False on 401/403."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise errors.ConnectionSettingsError(f"data-plane token URL {url!r} is not absolute")
        self._session.redactor.add(client_secret)
        call = Call(
            "POST",
            parts.path or "/",
            f"data-plane client {client_id}",
            json={"client_id": client_id, "client_secret": client_secret},
            url=url,
            bearer=False,
            read_only=True,
        )
        try:
            response = await self._send(call)
        except errors.AuthError:
            return False
        body = decode_json(response, call)
        token = (
            body.get("access_token", body.get("accessToken")) if isinstance(body, dict) else None
        )
        return isinstance(token, str) and bool(token)
