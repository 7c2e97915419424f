"""Natural key -> live id, from the refresh and from what this apply created.

The executor needs ids to link objects: a data plane's region, a workspace's region, a
permission's user and workspace. They come from the snapshot (no extra API calls) and are
bound as creates succeed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from reconciler.config.models import fold_name
from reconciler.core.live_resources import LiveSnapshot
from reconciler.core.resources import Kind, ResourceKey
from reconciler.errors import FlexctlError


class MissingIdError(FlexctlError):
    pass


@dataclass
class IdMap:
    regions: dict[str, str] = field(default_factory=dict)  # lower name -> id
    managed_regions: dict[str, str] = field(default_factory=dict)  # lower name -> id
    workspaces: dict[str, list[str]] = field(default_factory=dict)  # fold_name -> ids
    dataplanes: dict[str, list[str]] = field(default_factory=dict)  # lower region/name -> ids
    dataplane_region: dict[str, str] = field(default_factory=dict)  # dataplane id -> region id
    #: Data-plane id -> ``REGION/NAME`` as the refresh saw it (where a rename starts from).
    dataplane_names: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # email -> id
    groups: dict[str, str] = field(default_factory=dict)  # fold_name -> id
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def from_snapshot(snapshot: LiveSnapshot) -> IdMap:
        ids = IdMap()
        names, shown = {}, {}
        for region in snapshot.regions:
            ids.regions[str(region["name"]).lower()] = str(region["regionId"])
            names[str(region["regionId"])] = str(region["name"]).lower()
            shown[str(region["regionId"])] = str(region["name"])
        ids.managed_regions = {k.lower(): v for k, v in snapshot.managed_regions.items()}
        for dp in snapshot.dataplanes:
            region_name = names.get(str(dp["regionId"]))
            if region_name is None:
                continue
            key = f"{region_name}/{str(dp['name']).lower()}"
            dp_id = str(dp["dataplaneId"])
            ids.dataplanes.setdefault(key, []).append(dp_id)
            ids.dataplane_region[dp_id] = str(dp["regionId"])
            ids.dataplane_names[dp_id] = f"{shown[str(dp['regionId'])]}/{dp['name']}"
        for ws in snapshot.workspaces:
            ids.workspaces.setdefault(fold_name(str(ws["name"])), []).append(str(ws["workspaceId"]))
        ids.users = {str(u["email"]).lower(): str(u["id"]) for u in snapshot.users}
        ids.groups = {fold_name(str(g["name"])): str(g["groupId"]) for g in snapshot.groups}
        return ids

    def bind(self, key: ResourceKey, object_id: str) -> None:
        with self._lock:
            name = key.name.lower()
            if key.kind is Kind.REGION:
                self.regions[name] = object_id
            elif key.kind is Kind.WORKSPACE:
                self.workspaces[fold_name(key.name)] = [object_id]
            elif key.kind is Kind.GROUP:
                self.groups[fold_name(key.name)] = object_id
            elif key.kind is Kind.DATAPLANE:
                self.dataplanes.setdefault(name, []).append(object_id)
                region = name.split("/", 1)[0]
                if region in self.regions:
                    self.dataplane_region[object_id] = self.regions[region]

    def region(self, name: str) -> str:
        found = self.region_or_none(name)
        if found is None:
            raise MissingIdError(f"region {name} does not exist in the control plane")
        return found

    def region_or_none(self, name: str) -> str | None:
        """Region id for a workspace; None for `auto` (the server picks its default)."""
        lower = name.lower()
        if lower in self.regions:
            return self.regions[lower]
        if lower in self.managed_regions:
            return self.managed_regions[lower]
        if lower == "auto":
            return None
        raise MissingIdError(f"region {name} does not exist in the control plane")

    def workspace(self, name: str) -> str:
        found = self.workspaces.get(fold_name(name))
        if not found:
            raise MissingIdError(f"workspace {name} does not exist in the control plane")
        return found[-1]

    def workspaces_named(self, name: str) -> list[str]:
        return list(self.workspaces.get(fold_name(name), []))

    def dataplanes_named(self, region: str, name: str) -> list[str]:
        return list(self.dataplanes.get(f"{region}/{name}".lower(), []))

    def dataplane_key(self, dataplane_id: str) -> str | None:
        """``REGION/NAME`` the data plane had in the refresh (None: made by this apply)."""
        return self.dataplane_names.get(dataplane_id)

    def dataplanes_in_region(self, region_id: str) -> list[str]:
        return [dp for dp, rid in self.dataplane_region.items() if rid == region_id]

    def group(self, name: str) -> str:
        found = self.groups.get(fold_name(name))
        if found is None:
            raise MissingIdError(f"group {name} does not exist in the control plane")
        return found

    def user(self, email: str) -> str:
        found = self.users.get(email.lower())
        if found is None:
            raise MissingIdError(f"user {email} does not exist yet (users arrive through SSO)")
        return found
