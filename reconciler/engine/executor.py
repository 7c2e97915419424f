"""Apply a plan: dependency order, concurrency within a phase, safe creates, credentials.

Phases: regions -> data planes -> workspaces -> permissions (creates, updates, rotations),
then deletes in reverse. Changes inside a phase run concurrently (the client bounds
in-flight requests). A failed change fails the changes that depend on it, not the others.

Safe creates: every create is journalled before it is sent. When its outcome is unknown
(lost answer, timeout, 5xx), the object is looked up by natural key before trying again:
found means adopted, never a duplicate. A data plane found that way has lost its one-time
secret, so it is deleted and created again: no data plane is left without stored
credentials. A data plane counts as created only once its sink has been written and read back.
Sink I/O runs in worker threads one call at a time: sinks share non-thread-safe state (the
one ruamel YAML emitter of ``render.yamlout``), and two deliveries at once corrupted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from reconciler.api import errors as api_errors
from reconciler.api.client import ApiClient
from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane, Workspace, fold_name
from reconciler.core.diff import essence_digest
from reconciler.core.hashing import patched_streams
from reconciler.core.inventory import Inventory
from reconciler.core.live_resources import LiveSnapshot, workspace_essence
from reconciler.core.plan import Action, Change, Plan
from reconciler.core.renames import follow_in_inventory
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.audit import AuditLog
from reconciler.engine.credmoves import move_credentials, old_document
from reconciler.engine.group_changes import GroupChanges, group_parents
from reconciler.engine.ids import IdMap
from reconciler.engine.payloads import notifications_payload
from reconciler.engine.store import Journal
from reconciler.engine.writeahead import WriteAhead, plain_create
from reconciler.errors import FlexctlError
from reconciler.sinks import CredentialSinkProtocol, DataplaneCredentials

#: How often an ambiguous create is looked up and retried before giving up.
CREATE_ATTEMPTS = 4
#: Workers per request the client keeps in flight (``Executor._run_phase``).
WORKERS_PER_SLOT = 2
#: Begins per journal write ahead on a shared backend (s3, git), whose every write is the whole
#: journal; locally a window is the workers' count (one fsync each).
SHARED_WINDOW = 256

SinkFor = Callable[[DataPlane], CredentialSinkProtocol]
Resolver = Callable[[Any, str], str]
Progress = Callable[[Change, str], None]
#: Called at the named moments of a data-plane create (``journalled``, ``created``,
#: ``delivered``, ``done``): tests end the process there to prove recovery (crash points).
Hook = Callable[[str, ResourceKey], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    change: Change
    ok: bool
    object_id: str | None = None
    error: str | None = None


log = logging.getLogger(__name__)


class ApplyFailed(FlexctlError):
    pass


def phases(plan: Plan) -> list[list[Change]]:
    """Actionable changes grouped into phases that must run one after the other."""
    groups: dict[tuple[int, int, int], list[Change]] = {}
    for change in plan.actionable:
        phase, order, _ = change.sort_key()
        # Organisation roles change before workspace roles (and are revoked after them): the
        # server refuses a workspace role the organisation role covers, so a lowered
        # organisation role must land first; a raised one deletes what it covers.
        step = int(change.key.kind is Kind.PERMISSION and change.key.name.startswith("workspace:"))
        groups.setdefault((phase, order, -step if phase else step), []).append(change)
    return [groups[k] for k in sorted(groups)]


class Executor(GroupChanges):
    def __init__(
        self,
        *,
        client: ApiClient,
        desired: DesiredState,
        snapshot: LiveSnapshot,
        inventory: Inventory,
        journal: Journal,
        audit: AuditLog,
        sink_for: SinkFor,
        resolve: Resolver,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        checkpoint: Callable[[], None] | None = None,
        hook: Hook | None = None,
    ) -> None:
        self.client = client
        self.desired = desired
        self.org_id = desired.organization.organization_id
        self.inventory = inventory
        self.journal = journal
        self.audit = audit
        self.sink_for = sink_for
        self.resolve = resolve
        self.progress = progress or (lambda change, status: None)
        self.stop = stop or threading.Event()
        self.checkpoint = checkpoint or (lambda: None)
        self.hook = hook or (lambda moment, key: None)
        self.ids = IdMap.from_snapshot(snapshot)
        self._connections = {str(c["connectionId"]): c for c in snapshot.connections}
        self.failed: set[ResourceKey] = set()
        self._ahead = WriteAhead(journal, (), window=1)  # the running phase's (``_run_phase``)
        self._sink_lock = threading.Lock()
        # Declared documents by key, built once (a scan per change was O(N^2) at scale); the
        # first document of a name wins, as the scans did.
        self._workspaces: dict[str, Workspace] = {}
        self._workspaces_exact: dict[str, Workspace] = {}
        for ws in desired.workspaces:
            self._workspaces.setdefault(fold_name(ws.name), ws)
            self._workspaces_exact.setdefault(ws.name, ws)
        self._dataplanes: dict[str, DataPlane] = {}
        for dp in desired.dataplanes:
            self._dataplanes.setdefault(f"{dp.region}/{dp.name}".lower(), dp)

    async def _sink_io(self, call: Callable[[], T]) -> T:
        """Run one sink call in a worker thread, never two at once (see the module doc)."""

        def locked() -> T:
            with self._sink_lock:
                return call()

        return await asyncio.to_thread(locked)

    async def run(self, plan: Plan) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for phase in phases(plan):
            if self.stop.is_set():
                outcomes.extend(
                    Outcome(c, False, error="not started: stop requested") for c in phase
                )
                continue
            outcomes.extend(await self._run_phase(phase))
            await self.journal.aflush()
            self.checkpoint()
        return outcomes

    async def _run_phase(self, phase: list[Change]) -> list[Outcome]:
        """Every change of ``phase``, by a few workers that each take the next one when done.

        Changes are prepared (payload) as workers reach them, so the first requests go out at
        once instead of after the whole phase is built; begins are written a window ahead, one
        fsync per window (``engine.writeahead``). The workers outnumber the client's in-flight
        bound, so while some requests are out the next creates wait, journalled, for a slot."""
        results: list[Outcome | None] = [None] * len(phase)
        pending = iter(enumerate(phase))

        async def worker() -> None:
            for index, change in pending:
                results[index] = await self._one(change)

        workers = min(len(phase), WORKERS_PER_SLOT * max(1, self.client.max_concurrency))
        self._ahead = WriteAhead(
            self.journal,
            [c.key for c in phase if plain_create(c) and self._blocked_by_failure(c) is None],
            # A shared backend rewrites the whole journal per write: fewer, larger windows.
            window=workers if self.journal.log.local else SHARED_WINDOW,
        )
        tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # Not a change's failure (those are outcomes) but the run's: start nothing more.
            for task in tasks:
                task.cancel()
            raise
        return [r for r in results if r is not None]

    async def _one(self, change: Change) -> Outcome:
        self.progress(change, "start")
        try:
            blocker = self._blocked_by_failure(change)
            if blocker is not None:
                raise ApplyFailed(f"{change.key}: not applied because {blocker} failed")
            object_id = await self._dispatch(change)
        except FlexctlError as exc:
            if self._ahead.unsent(change.key):
                self.journal.failed(change.key)
            self.failed.add(change.key)
            self.audit.record(change, outcome="failed", error=str(exc))
            self.progress(change, "failed")
            return Outcome(change, False, error=str(exc))
        self.audit.record(change, outcome="applied", object_id=object_id)
        self.progress(change, "done")
        return Outcome(change, True, object_id=object_id)

    def _blocked_by_failure(self, change: Change) -> ResourceKey | None:
        if change.action is Action.DELETE:
            return None
        for parent in self._parents(change):
            if parent in self.failed:
                return parent
        return None

    def _parents(self, change: Change) -> list[ResourceKey]:
        essence = change.desired or {}
        if change.key.kind is Kind.DATAPLANE:
            return [ResourceKey(Kind.REGION, str(essence.get("region", "")))]
        if change.key.kind is Kind.WORKSPACE:
            return [ResourceKey(Kind.REGION, str(essence.get("region", "")))]
        if change.key.kind is Kind.PERMISSION and essence.get("workspace"):
            return [ResourceKey(Kind.WORKSPACE, str(essence["workspace"]))]
        if change.key.kind in (Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION):
            return group_parents(change)
        return []

    async def _dispatch(self, change: Change) -> str | None:
        handlers: Mapping[tuple[Kind, Action], Callable[[Change], Awaitable[str | None]]] = {
            (Kind.REGION, Action.CREATE): self._create_region,
            (Kind.REGION, Action.UPDATE): self._update_region,
            (Kind.DATAPLANE, Action.CREATE): self._create_dataplane,
            (Kind.DATAPLANE, Action.UPDATE): self._update_dataplane,
            (Kind.DATAPLANE, Action.ROTATE): self._rotate_dataplane,
            (Kind.WORKSPACE, Action.CREATE): self._create_workspace,
            (Kind.WORKSPACE, Action.UPDATE): self._update_workspace,
            (Kind.PERMISSION, Action.CREATE): self._create_permission,
            (Kind.PERMISSION, Action.UPDATE): self._update_permission,
            (Kind.GROUP, Action.CREATE): self._create_group,
            (Kind.GROUP, Action.UPDATE): self._update_group,
            (Kind.GROUP_MEMBER, Action.CREATE): self._add_member,
            (Kind.GROUP_PERMISSION, Action.CREATE): self._create_group_permission,
            (Kind.GROUP_PERMISSION, Action.UPDATE): self._update_group_permission,
            (Kind.CONNECTION, Action.UPDATE): self._update_connection,
        }
        if change.action is Action.DELETE:
            await self._delete(change)
            return change.id
        return await handlers[(change.key.kind, change.action)](change)

    # ------------------------------------------------------------------ creates

    async def _safe_create(
        self,
        change: Change,
        create: Callable[[], Awaitable[str]],
        find: Callable[[], Awaitable[str | None]],
        *,
        known: tuple[str, ...] = (),
        retires: str | None = None,
    ) -> str:
        """Create once: journal first; after an unknown outcome, look up before retrying."""
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            if attempt > 1 or not await self._ahead.written(change.key):
                await self.journal.abegin(change.key, known=known, retires=retires)
            self.hook("journalled", change.key)
            try:
                object_id = await create()
            except (api_errors.AmbiguousWriteError, api_errors.ConflictError) as exc:
                found = await find()
                if found is not None:
                    object_id = found
                elif attempt == CREATE_ATTEMPTS or isinstance(exc, api_errors.ConflictError):
                    self.journal.failed(change.key)
                    raise
                else:
                    continue
            except FlexctlError:
                self.journal.failed(change.key)
                raise
            await self._record(change, object_id, retires=retires)
            return object_id
        raise AssertionError("unreachable")  # pragma: no cover

    async def _record(self, change: Change, object_id: str, *, retires: str | None = None) -> None:
        essence = change.desired
        await self.journal.adone(change.key, object_id, essence, retires=retires)
        self.hook("done", change.key)
        self.inventory.record(
            change.key, object_id, essence=essence, protect=self._protect(change.key)
        )
        if retires is not None:
            self.inventory.retire(retires, replaced_by=object_id)
        self.ids.bind(change.key, object_id)

    def _protect(self, key: ResourceKey) -> bool:
        doc: Any = None
        if key.kind is Kind.REGION:
            doc = self.desired.region(key.name)
        elif key.kind is Kind.WORKSPACE:
            doc = self._workspaces_exact.get(key.name)
        elif key.kind is Kind.DATAPLANE:
            doc = self._dataplane_doc(key)
        elif key.kind is Kind.GROUP:
            doc = self._group_doc(key.name)
        return bool(doc is not None and doc.protect)

    async def _create_region(self, change: Change) -> str:
        name = str(change.key.name)
        enabled = bool((change.desired or {}).get("enabled", True))

        async def create() -> str:
            made = await self.client.create_region(
                name=name, organization_id=self.org_id, enabled=enabled
            )
            return str(made["regionId"])

        async def find() -> str | None:
            for region in await self.client.list_regions(self.org_id):
                if (
                    region.get("organizationId") == self.org_id
                    and str(region["name"]).lower() == name.lower()
                ):
                    return str(region["regionId"])
            return None

        return await self._safe_create(change, create, find)

    async def _create_dataplane(self, change: Change, *, retires: str | None = None) -> str:
        doc = self._dataplane_doc(change.key)
        region_id = self.ids.region(doc.region)
        sink = self.sink_for(doc)
        known = set(self.ids.dataplanes_named(doc.region, doc.name))

        async def create() -> str:
            made = await self.client.create_dataplane(
                region_id=region_id, name=doc.name, enabled=doc.enabled
            )
            dataplane_id = str(made["dataplaneId"])
            self.hook("created", change.key)
            await self._deliver(sink, dataplane_id, made)
            self.hook("delivered", change.key)
            return dataplane_id

        async def find() -> str | None:
            # The answer (and its one-time secret) is lost: a data plane that appeared
            # meanwhile is unusable. Delete it, then let the create run again.
            for dp in await self.client.list_dataplanes([region_id]):
                dp_id = str(dp["dataplaneId"])
                if dp["name"] == doc.name and dp_id not in known:
                    await self._delete_quietly(dp_id, f"dataplane {change.key.name}")
            return None

        return await self._safe_create(
            change, create, find, known=tuple(sorted(known)), retires=retires
        )

    async def _deliver(
        self, sink: CredentialSinkProtocol, dataplane_id: str, made: Mapping[str, Any]
    ) -> None:
        creds = DataplaneCredentials(
            dataplane_id=dataplane_id,
            client_id=str(made["clientId"]),
            client_secret=str(made["clientSecret"]),
        )
        try:
            await self._sink_io(lambda: sink.write(creds))
        except Exception:
            # Credentials that cannot be stored are lost for good: roll the data plane back,
            # whatever went wrong (a sink bug must not leave a data plane nobody can use).
            await self._delete_quietly(dataplane_id, f"dataplane {dataplane_id}")
            raise

    async def _delete_quietly(self, dataplane_id: str, label: str) -> None:
        with contextlib.suppress(api_errors.NotFoundError):
            await self.client.delete_dataplane(dataplane_id, label=label)

    async def _create_workspace(self, change: Change) -> str:
        ws = self._workspace_doc(change.key.name)
        region_id = self.ids.region_or_none(ws.region)
        notifications = notifications_payload(ws, self.resolve)
        known = set(self.ids.workspaces_named(ws.name))

        async def create() -> str:
            made = await self.client.create_workspace(
                name=ws.name,
                region_id=region_id,
                organization_id=self.org_id,
                notifications=notifications,
            )
            return str(made["workspaceId"])

        async def find() -> str | None:
            for live in await self.client.list_workspaces():
                if live["name"] == ws.name and str(live["workspaceId"]) not in known:
                    return str(live["workspaceId"])
            return None

        return await self._safe_create(change, create, find)

    async def _create_permission(self, change: Change) -> str:
        essence = change.desired or {}
        user_id = self.ids.user(str(essence["user"]))
        role, workspace_id, org_id = self._grant_scope(essence)

        async def create() -> str:
            made = await self.client.create_permission(
                user_id=user_id,
                permission_type=role,
                workspace_id=workspace_id,
                organization_id=org_id,
            )
            return str(made["permissionId"])

        async def find() -> str | None:
            scope_id = workspace_id or self.org_id
            for perm in await self.client.list_permissions(
                user_id=user_id, organization_id=self.org_id
            ):
                if perm.get("scopeId") == scope_id and perm.get("permissionType") == role:
                    return str(perm["permissionId"])
            return None

        return await self._safe_create(change, create, find)

    # ------------------------------------------------------------------ updates

    def _after_update(self, change: Change) -> str:
        assert change.id is not None
        self.inventory.record(
            change.key, change.id, essence=change.desired, protect=self._protect(change.key)
        )
        return change.id

    async def _update_region(self, change: Change) -> str:
        assert change.id is not None
        essence = change.desired or {}
        await self.client.update_region(
            change.id, name=str(essence["name"]), enabled=bool(essence["enabled"])
        )
        self._renamed(change)
        return self._after_update(change)

    async def _update_dataplane(self, change: Change) -> str:
        assert change.id is not None
        essence = change.desired or {}
        if any(f.path != "region" for f in change.fields):
            # Only the region's name changed (renamed in its own phase): nothing to send.
            await self.client.update_dataplane(
                change.id, name=str(essence["name"]), enabled=bool(essence["enabled"])
            )
        before = self.ids.dataplane_key(change.id)
        if before is not None and before.lower() != change.key.name.lower():
            doc = self._dataplane_doc(change.key)
            old, new = self.sink_for(old_document(doc, before)), self.sink_for(doc)
            await self._sink_io(lambda: move_credentials(old, new, str(change.id)))
        return self._after_update(change)

    def _renamed(self, change: Change) -> None:
        """A rename (a name field change): ids and the entries that name it follow."""
        renamed = next((f for f in change.fields if f.path == "name"), None)
        if renamed is None or change.id is None:
            return
        self.ids.bind(change.key, change.id)
        follow_in_inventory(self.inventory, change.key.kind, str(renamed.old), str(renamed.new))

    async def _update_workspace(self, change: Change) -> str:
        assert change.id is not None
        ws = self._workspace_doc(change.key.name)
        changed = {f.path.split(".")[0] for f in change.fields}
        answer = await self.client.update_workspace(
            change.id,
            name=ws.name if "name" in changed else None,
            region_id=self.ids.region_or_none(ws.region) if "region" in changed else None,
            notifications=(
                notifications_payload(ws, self.resolve) if "notifications" in changed else None
            ),
        )
        kept = workspace_essence(answer)
        if change.desired is not None and kept != dict(change.desired):
            # airbyte#65105: 200, yet the answer shows the old value. Record what the server
            # holds (no false drift) and what it refused to apply (not sent again).
            log.warning("%s: the server did not apply part of the update", change.key)
            self.inventory.record(
                change.key,
                change.id,
                essence=kept,
                protect=self._protect(change.key),
                not_applied=essence_digest(change.desired),
            )
            return change.id
        self._renamed(change)
        return self._after_update(change)

    async def _update_permission(self, change: Change) -> str:
        assert change.id is not None
        await self.client.update_permission(
            change.id, permission_type=str((change.desired or {})["role"])
        )
        return self._after_update(change)

    async def _update_connection(self, change: Change) -> str:
        """Read-modify-write: the streams as this run listed them, with only the change's
        hashing mappers edited (``core.hashing.patched_streams``)."""
        assert change.id is not None
        live = self._connections.get(change.id)
        if live is None:
            raise ApplyFailed(f"{change.key}: connection {change.id} is not in this run's list")
        label = f"connection {change.key.name} ({change.id})"
        await self.client.patch_connection(
            change.id, streams=patched_streams(live, change), label=label
        )
        if (change.desired or {}).get("hashing"):
            return self._after_update(change)
        self.inventory.forget(change.id)  # flexctl owns no mapper of it any more
        return change.id

    async def _rotate_dataplane(self, change: Change) -> str:
        """First step only: the new data plane, delivered; the old one kept as retiring (its
        credentials keep working until a later apply ends the rotation, ``core.rotation``)."""
        assert change.id is not None
        return await self._create_dataplane(change, retires=change.id)

    # ------------------------------------------------------------------ deletes

    async def _delete(self, change: Change) -> None:
        assert change.id is not None
        label = str(change.key)
        kind = change.key.kind
        if change.retire:
            # The sink holds the replacement's credentials: only the data plane goes.
            await self._delete_quietly(change.id, label)
            self.inventory.forget(change.id)
            return
        try:
            if kind is Kind.REGION:
                await self.client.delete_region(change.id, label=label)
                # The server deletes the region's data planes with it.
                for dp_id in self.ids.dataplanes_in_region(change.id):
                    self.inventory.forget(dp_id)
            elif kind is Kind.DATAPLANE:
                await self.client.delete_dataplane(change.id, label=label)
            elif kind is Kind.WORKSPACE:
                await self.client.delete_workspace(change.id)
            elif kind in (Kind.GROUP, Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION):
                await self._delete_group_object(kind, change.id, change.key.name)
            else:
                await self.client.delete_permission(change.id)
        except api_errors.NotFoundError:
            pass  # already gone (a retried delete whose first answer was lost)
        self.inventory.forget(change.id)
        if kind is Kind.GROUP:
            # Its members and roles went with it (their ids start with the group's).
            for entry in list(self.inventory):
                if entry.id.startswith(change.id + "/"):
                    self.inventory.forget(entry.id)
        if kind is Kind.DATAPLANE:
            doc = self._dataplane_doc_or_none(change.key)
            if doc is not None:
                await self._sink_io(self.sink_for(doc).delete)

    # ------------------------------------------------------------------ documents

    def _dataplane_doc_or_none(self, key: ResourceKey) -> DataPlane | None:
        return self._dataplanes.get(key.name.lower())

    def _dataplane_doc(self, key: ResourceKey) -> DataPlane:
        doc = self._dataplane_doc_or_none(key)
        if doc is None:
            raise ApplyFailed(f"{key}: not declared in the config")
        return doc

    def _workspace_doc(self, name: str) -> Workspace:
        ws = self._workspaces.get(fold_name(name))
        if ws is not None:
            return ws
        raise ApplyFailed(f"workspace {name}: not declared in the config")
