"""Raw control-plane API payloads, as the server sends and accepts them.

These are `TypedDict`s of the wire format (camelCase, server spelling), not
domain models: the engine normalises them before diffing. Keys the server
omits when null (it serialises with NON_ABSENT) are `NotRequired`. Facts come
from shared/notes/airbyte-api.md, which wins over the published spec.

`Secret` marks the one secret the API hands out (a new data plane's
`clientSecret`): a `str` whose `repr` is redacted, so a payload that ends up
in a log line or an assertion message does not leak it.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "ConnectionRead",
    "ConnectorRead",
    "DataplaneCreated",
    "DataplaneRead",
    "EmailNotification",
    "NotificationConfig",
    "NotificationsConfig",
    "OrganizationRead",
    "PermissionRead",
    "PermissionResponse",
    "PermissionScope",
    "RegionRead",
    "Secret",
    "StreamConfiguration",
    "StreamMapper",
    "TokenResponse",
    "UserRead",
    "WebhookNotification",
    "WorkspaceRead",
]


class Secret(str):
    """A secret string: behaves as `str` (`str()`, f-strings, JSON) but never shows in `repr`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**redacted**'"


class TokenResponse(TypedDict):
    access_token: str
    token_type: str
    expires_in: int


class OrganizationRead(TypedDict):
    organizationId: str
    organizationName: str
    email: NotRequired[str]


class RegionRead(TypedDict):
    regionId: str
    name: str
    organizationId: str
    enabled: bool
    createdAt: NotRequired[str]
    updatedAt: NotRequired[str]


class DataplaneRead(TypedDict):
    dataplaneId: str
    name: str
    regionId: str
    enabled: bool
    createdAt: NotRequired[str]
    updatedAt: NotRequired[str]


class DataplaneCreated(TypedDict):
    """`POST /dataplanes` answer: the only time the credentials are shown."""

    dataplaneId: str
    regionId: str
    clientId: str
    clientSecret: Secret


class EmailNotification(TypedDict):
    enabled: bool


class WebhookNotification(TypedDict):
    enabled: bool
    url: NotRequired[str]


class NotificationConfig(TypedDict, total=False):
    email: EmailNotification
    webhook: WebhookNotification


class NotificationsConfig(TypedDict, total=False):
    failure: NotificationConfig
    success: NotificationConfig
    connectionUpdate: NotificationConfig
    connectionUpdateActionRequired: NotificationConfig
    syncDisabled: NotificationConfig
    syncDisabledWarning: NotificationConfig


class WorkspaceRead(TypedDict):
    """Written with `regionId`, read back with `dataResidency` (region name, lower-cased)."""

    workspaceId: str
    name: str
    dataResidency: str
    notifications: NotRequired[NotificationsConfig]


class UserRead(TypedDict):
    id: str
    name: str
    email: str


PermissionScope = Literal["workspace", "organization", "none"]


class PermissionRead(TypedDict):
    """An item of `GET /permissions` (differs from the create/update answer)."""

    permissionId: str
    permissionType: str
    userId: str
    scope: PermissionScope
    scopeId: str


class PermissionResponse(TypedDict):
    """The answer of `POST /permissions` and `PATCH /permissions/{id}`."""

    permissionId: str
    permissionType: str
    userId: str
    workspaceId: NotRequired[str]
    organizationId: NotRequired[str]


class StreamMapper(TypedDict):
    """A ``ConfiguredStreamMapper``: ``id`` is the server's; the configuration depends on
    ``type`` (hashing: ``targetField``, ``method``, ``fieldNameSuffix``)."""

    type: str
    mapperConfiguration: dict[str, Any]
    id: NotRequired[str]


class StreamConfiguration(TypedDict):
    """One selected stream of a connection (keys the server did not send stay absent)."""

    name: str
    namespace: NotRequired[str]
    syncMode: NotRequired[str]
    cursorField: NotRequired[list[str]]
    primaryKey: NotRequired[list[list[str]]]
    mappers: NotRequired[list[StreamMapper]]


class StreamConfigurations(TypedDict, total=False):
    streams: list[StreamConfiguration]


class ConnectionRead(TypedDict):
    connectionId: str
    name: str
    workspaceId: str
    sourceId: NotRequired[str]
    destinationId: NotRequired[str]
    configurations: NotRequired[StreamConfigurations]


class ConnectorRead(TypedDict):
    """A source or a destination as the list answers it (only what flexctl reads)."""

    name: str
    workspaceId: str
    sourceId: NotRequired[str]
    destinationId: NotRequired[str]
