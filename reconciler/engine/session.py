"""One run against a control plane: connect, refresh, plan, apply.

Connection: the Organization's ``controlPlane.url`` or ``AIRBYTE_API_URL`` with client
credentials from the config's references or ``AIRBYTE_CLIENT_ID``/``AIRBYTE_CLIENT_SECRET``;
the embedded control plane in the state directory when chosen (``--embedded``,
``controlPlane.embedded: true``) or when nothing is configured outside CI
(``api.settings.resolve_connection`` has the rules). The connection carries its ``target``,
which every plan and command output names first.

This is the seam the CLI commands and the reconcile loop share; it owns the order of
the steps, not their logic (core) or their I/O details (api, sinks, store).
"""

from __future__ import annotations

import asyncio
import difflib
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.settings import ConnectionSettings, resolve_connection
from reconciler.collector import paused_while
from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane, SecretRef
from reconciler.config.references import check_references
from reconciler.config.secrets import resolve_secret
from reconciler.core.desired_resources import DesiredResources, desired_resources
from reconciler.core.diff import PlanOptions, build_plan
from reconciler.core.groups import GROUP_KINDS, settle_scim_groups
from reconciler.core.inventory import Inventory
from reconciler.core.live_resources import LiveSnapshot, live_resources
from reconciler.core.pending import split_pending
from reconciler.core.plan import Plan
from reconciler.core.policy import DEFAULT_MAX_DELETES
from reconciler.core.policy import check as policy_check
from reconciler.core.renames import follow_renames
from reconciler.core.resources import Kind, Resource, ResourceKey, workspace_key
from reconciler.core.rotation import split_live
from reconciler.engine.connections import connection_workspaces, with_connections
from reconciler.engine.credmoves import check_credentials
from reconciler.engine.dependants import count_dependants
from reconciler.engine.guards import refuse_local_credentials
from reconciler.engine.live import fetch_live
from reconciler.engine.recovery import recover
from reconciler.engine.store import InventoryStore, Journal, JournalRecord
from reconciler.errors import FlexctlError
from reconciler.sinks import CredentialSinkProtocol, sink_for
from reconciler.state import backend_of
from reconciler.statedir import StateDir


@dataclass(frozen=True)
class RunContext:
    state: StateDir
    env: Mapping[str, str]
    #: Base directory for ``{file: ...}`` secret references.
    base_dir: Path = field(default_factory=Path.cwd)
    #: Where the config came from (path, or repo/commit/author), for plans and audit.
    source: Mapping[str, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    #: Requests in flight at once (the API client's bound).
    max_concurrency: int = 16
    #: Seconds an apply waits for another holder's lock (``--lock-timeout``; 0: refuse).
    lock_timeout: float = 0.0
    #: Seconds from the start during which throttled (429) reads keep being retried.
    timeout: float = 3600.0
    #: ``--embedded``: use the embedded control plane whatever else is configured.
    embedded: bool = False
    #: Someone at a terminal runs this (stdin is a TTY): local credential files are theirs.
    interactive: bool = False
    #: ``--allow-local-credentials``: create data planes with file/env-file sinks in CI too.
    allow_local_credentials: bool = False
    #: Do not repeat calls that could not connect (``flexctl verify``: fail fast, name the URL).
    fail_fast: bool = False
    #: Entered around reading the live control plane (the CLI shows a status line in it).
    refreshing: Callable[[], AbstractContextManager[object]] = nullcontext

    def resolver(self) -> Callable[[SecretRef, str], str]:
        def resolve(ref: SecretRef, where: str) -> str:
            return resolve_secret(ref, where=where, env=self.env, base_dir=self.base_dir)

        return resolve


@dataclass
class Connection:
    client: ApiClient
    organization_id: str
    #: ``<airbyteUrl>/api/v1/dataplanes/token`` as the data planes will call it.
    dataplane_token_url: str
    embedded: Any = None
    #: The application's own user, when known (the lock-out guard protects it).
    own_user_email: str | None = None
    #: Which control plane this is, as plans and outputs name it (``core.output.lines``).
    target: Mapping[str, str] = field(default_factory=dict)


@asynccontextmanager
async def connect(desired: DesiredState, ctx: RunContext) -> AsyncIterator[Connection]:
    org = desired.organization
    # Every reference the run needs, all problems at once, before anything is opened.
    check_references(desired, env=ctx.env, base_dir=ctx.base_dir)
    resolve = ctx.resolver()
    client_id = (
        resolve(org.control_plane.client_id, f"Organization {org.name}: controlPlane.clientId")
        if org.control_plane.client_id
        else None
    )
    client_secret = (
        resolve(
            org.control_plane.client_secret, f"Organization {org.name}: controlPlane.clientSecret"
        )
        if org.control_plane.client_secret
        else None
    )
    chosen = (
        "--embedded"
        if ctx.embedded
        else "controlPlane.embedded: true"
        if org.control_plane.embedded
        else None
    )
    settings = resolve_connection(
        org.control_plane.url,
        ctx.env,
        client_id=client_id,
        client_secret=client_secret,
        embedded=chosen,
    )
    if isinstance(settings, ConnectionSettings):
        async with ApiClient(
            settings.base_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            max_concurrency=ctx.max_concurrency,
            timeout_total=ctx.timeout,
            retry_unreachable=not ctx.fail_fast,
        ) as client:
            org_id = org.organization_id or await only_organization(client)
            yield Connection(
                client=client,
                organization_id=org_id,
                dataplane_token_url=f"{org.airbyte_url}/api/v1/dataplanes/token",
                target={
                    "controlPlane": "remote",
                    "url": settings.base_url,
                    "urlFrom": "controlPlane.url"
                    if settings.url_source == "config"
                    else "AIRBYTE_API_URL",
                    "organizationId": org_id,
                },
            )
        return
    from reconciler.controlplane import open_embedded

    plane, creds = open_embedded(ctx.state.root, organization_id=org.organization_id)
    org_id = org.organization_id or creds.organization_id
    root = creds.url.split("/api/public/v1")[0].rstrip("/")
    try:
        async with ApiClient(
            creds.url,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            transport=plane.transport(),
            max_concurrency=ctx.max_concurrency,
            timeout_total=ctx.timeout,
        ) as client:
            yield Connection(
                client=client,
                organization_id=org_id,
                dataplane_token_url=f"{root}/api/v1/dataplanes/token",
                embedded=plane,
                own_user_email=creds.user_email,
                target={
                    "controlPlane": "embedded",
                    "stateDir": str(ctx.state.root),
                    "why": settings.why,
                    "organizationId": org_id,
                },
            )
    finally:
        plane.close()


async def only_organization(client: ApiClient) -> str:
    """The organisation of an Organization not written yet (``flexctl import`` with no
    config): the application's user's only one; several need ``--organization-id``."""
    orgs = await client.list_organizations()
    if len(orgs) == 1:
        return str(orgs[0]["organizationId"])
    listed = ", ".join(
        f"{o.get('organizationName', '?')} ({o.get('organizationId', '?')})" for o in orgs
    )
    raise FlexctlError(
        f"GET /organizations: the application's user belongs to {len(orgs)} organisations"
        + (f" ({listed})" if orgs else "")
        + "; name the one to import with --organization-id"
    )


@dataclass(frozen=True)
class Prepared:
    """A plan and everything apply needs to carry it out."""

    plan: Plan
    snapshot: LiveSnapshot
    inventory: Inventory
    desired_resources: DesiredResources
    live: tuple[Resource, ...]
    #: Creates journalled but never confirmed by an earlier run (looked up by natural key now).
    unfinished: tuple[str, ...] = ()
    #: Revisions of the inventory and journal this plan read: apply refuses if they moved.
    state_revision: str | None = None


def sinks_for(
    desired: DesiredState, ctx: RunContext
) -> Callable[[DataPlane], CredentialSinkProtocol]:
    def make(dp: DataPlane) -> CredentialSinkProtocol:
        # The Secret's other references (storage keys...) resolve like every reference of
        # this run: from its env mapping and config directory, not the process's.
        return sink_for(desired, dp, state_dir=ctx.state, env=ctx.env, config_dir=ctx.base_dir)

    return make


@paused_while
async def prepare(
    conn: Connection,
    desired: DesiredState,
    ctx: RunContext,
    *,
    rotate: frozenset[str] = frozenset(),
    prune: bool = True,
    unprotect: frozenset[str] = frozenset(),
    finish_rotation: frozenset[str] = frozenset(),
    max_deletes: int = DEFAULT_MAX_DELETES,
) -> Prepared:
    """The plan, with its pending grants and the guards' refusals (``max_deletes`` and the
    rest of ``core.policy``) in it, so the plan shows what apply will refuse."""
    rotate = _declared(desired, rotate, "--rotate")
    finish = _declared(desired, finish_rotation, "--finish-rotation")
    with ctx.refreshing():
        # The workspace list needs neither the state nor the desired resources: sent first,
        # its pages are read while a thread reads the state and makes the desired resources
        # (CPU work that otherwise left the network idle), as many as the config declares.
        listing = asyncio.ensure_future(
            conn.client.list_workspaces(expected=len(desired.workspaces))
        )
        switch = sys.getswitchinterval()
        # The pages' answers are read as they come, not after 5 ms turns of the thread.
        sys.setswitchinterval(0.0005)
        try:
            inventory, intents, state_revision, wanted, holder = await asyncio.to_thread(
                _state_and_desired, desired, ctx
            )
        except BaseException:
            listing.cancel()
            await asyncio.gather(listing, return_exceptions=True)
            raise
        finally:
            sys.setswitchinterval(switch)
        users = set(wanted.users) | {
            str((e.last_applied or {}).get("user"))
            for e in inventory
            if e.key.kind is Kind.PERMISSION and e.last_applied
        }
        if conn.own_user_email:
            # Seen (never managed) so the lock-out guard counts its organization_admin role.
            users.add(conn.own_user_email.lower())
        refresh = await fetch_live(
            conn.client,
            organization_id=conn.organization_id,
            users=users,
            known_ids=inventory.ids(Kind.WORKSPACE),
            workspace_names=[ws.name for ws in desired.workspaces],
            connection_workspaces=connection_workspaces(desired, inventory),
            groups=bool(desired.groups) or any(e.key.kind in GROUP_KINDS for e in inventory),
            listing=listing,
        )
    unfinished = sorted(intents, key=ResourceKey.sort_key)
    every = live_resources(refresh.snapshot)
    make = sinks_for(desired, ctx)
    recovery = recover(desired, intents, every, inventory, lambda dp: _held(make(dp)))
    live = tuple(split_live(every, inventory, recovery.discard)[0])
    wanted = settle_auto_regions(wanted, live)
    # Users arrive through SSO: a grant for a user who does not exist yet waits (pending).
    wanted, pending = split_pending(
        wanted, unknown=refresh.unknown_users, org_emails=refresh.org_emails
    )
    wanted, scim_notes = settle_scim_groups(wanted, refresh.snapshot)
    warnings = unfinished_warnings(unfinished, holder)
    warnings += scim_notes
    warnings += recovery.warnings
    credentials = check_credentials(desired, wanted, live, inventory, make)
    # Adopted as they run (credentials: {adopt: existing}): noted, not rotated, not drift.
    adopted = {f"{dp.region}/{dp.name}" for dp in desired.dataplanes if dp.adopts_existing}
    adopted &= credentials.missing
    # A rotation killed before its new data plane was delivered is carried on.
    rotate = rotate | frozenset(recovery.rotate)
    policy = desired.organization.prune
    policy_prune = {
        Kind.REGION: policy.regions,
        Kind.DATAPLANE: policy.data_planes,
        Kind.WORKSPACE: policy.workspaces,
        Kind.PERMISSION: policy.permissions,
        Kind.GROUP: policy.groups,
        # A membership or a group's role grants access like a user's permission.
        Kind.GROUP_MEMBER: policy.permissions,
        Kind.GROUP_PERMISSION: policy.permissions,
    }
    plan = build_plan(
        wanted,
        every,
        inventory,
        config_digest=desired.digest,
        options=PlanOptions(
            prune=policy_prune,
            prune_requested=prune,
            rotate=rotate,
            unprotect=frozenset(u.lower() for u in unprotect),
            missing_credentials=frozenset(credentials.missing - adopted),
            adopted_credentials=frozenset(adopted),
            credential_moves=credentials.moves,
            finish_rotation=frozenset(k.lower() for k in finish),
            discard=recovery.discard,
            warnings=tuple(sorted(warnings + credentials.warnings)),
            source=ctx.source,
            api_calls=conn.client.calls.api,
            target=conn.target,
        ),
    )
    # What each workspace delete takes with it: one list per kind, only when there is one.
    plan = await count_dependants(conn.client, plan)
    plan = replace(plan, api_calls=conn.client.calls.api)
    # Named as they will be once the plan's renames are applied (adoption, guards).
    live = follow_renames(wanted.resources, live, inventory)[1]
    refused = policy_check(
        plan,
        live=live,
        managed_ids=[e.id for e in inventory],
        max_deletes=max_deletes,
        own_user_email=conn.own_user_email,
    )
    plan = replace(plan, pending=pending, refusals=tuple(r.reason for r in refused))
    plan = with_connections(plan, desired, refresh.snapshot, inventory)
    backend = ctx.state.backend
    refuse_local_credentials(
        plan,
        desired,
        env=ctx.env,
        interactive=ctx.interactive,
        shared_state=str(backend.url) if backend is not None and backend.shared else None,
        allowed=ctx.allow_local_credentials,
    )
    return Prepared(
        plan=plan,
        snapshot=refresh.snapshot,
        inventory=inventory,
        desired_resources=wanted,
        live=live,
        unfinished=tuple(str(k) for k in unfinished),
        state_revision=state_revision,
    )


def _state_and_desired(
    desired: DesiredState, ctx: RunContext
) -> tuple[Inventory, dict[ResourceKey, JournalRecord], str, DesiredResources, str | None]:
    """``read_state_intents``, the desired resources and, when the journal holds unfinished
    creates, who else holds the apply lease now (``prepare`` runs them in a thread while the
    workspace pages are read)."""
    inventory, intents, revision = read_state_intents(ctx)
    holder = None
    if intents:  # rare: the lock module (filelock) is imported only then
        from reconciler.engine.lock import other_holder

        holder = other_holder(ctx.state)
    return inventory, intents, revision, desired_resources(desired, ctx.resolver()), holder


#: Unfinished creates named one warning each up to this many; more are one line.
UNFINISHED_NAMED = 5


def unfinished_warnings(unfinished: list[ResourceKey], holder: str | None) -> list[str]:
    """The plan's warnings for creates an earlier apply journalled but never confirmed: one
    each, or one line for many (a plan made while a big apply runs would otherwise print a
    line per create in flight), and, while another process holds the apply lease, that they
    are probably that apply's, still running."""
    if len(unfinished) <= UNFINISHED_NAMED:
        warnings = [
            f"an earlier apply did not finish creating {key}; looked up by name"
            for key in unfinished
        ]
    else:
        named = ", ".join(str(key) for key in unfinished[:3])
        warnings = [
            f"an earlier apply did not finish creating {len(unfinished):,} resources ({named} "
            f"and {len(unfinished) - 3:,} more); each is looked up by name"
        ]
    if unfinished and holder:
        warnings.append(
            f"an apply holds the state lock now ({holder}): those creates are probably its "
            "own, still running; plan again when it has finished"
        )
    return warnings


def read_state(ctx: RunContext) -> tuple[Inventory, list[ResourceKey], str]:
    """The inventory with the journal replayed into it, the unfinished creates, and the
    revision of both (what an apply compares against under the lock)."""
    inventory, intents, revision = read_state_intents(ctx)
    return inventory, sorted(intents, key=ResourceKey.sort_key), revision


def read_state_intents(
    ctx: RunContext,
) -> tuple[Inventory, dict[ResourceKey, JournalRecord], str]:
    """``read_state`` with each unfinished create's begin record (its intent)."""
    store = InventoryStore(backend_of(ctx.state))
    inventory = store.load()
    journal = Journal(store.backend)
    intents = journal.replay_intents(inventory)
    return inventory, intents, f"{store.revision}/{journal.revision}"


def _held(sink: CredentialSinkProtocol) -> tuple[str, str | None]:
    stored = sink.read()
    return sink.describe(), stored.dataplane_id if stored is not None else None


def _declared(desired: DesiredState, names: frozenset[str], flag: str) -> frozenset[str]:
    """``REGION/NAME`` of declared data planes, as declared; an unknown one is an error."""
    declared = {f"{dp.region}/{dp.name}": dp for dp in desired.dataplanes}
    folded = {k.lower(): k for k in declared}
    out, problems = set(), []
    for name in sorted(names):
        found = folded.get(name.lower())
        if found is not None:
            out.add(found)
            continue
        close = difflib.get_close_matches(name.lower(), folded, n=1)
        hint = f"; did you mean {folded[close[0]]}?" if close else ""
        problems.append(f"{flag} {name}: no declared data plane has that REGION/NAME{hint}")
    if problems:
        raise FlexctlError("; ".join(problems))
    return frozenset(out)


def settle_auto_regions(wanted: DesiredResources, live: tuple[Resource, ...]) -> DesiredResources:
    """A workspace on region `auto` lives wherever the server put it: never a change."""
    live_region = {
        r.key.folded: r.essence.get("region") for r in live if r.key.kind is Kind.WORKSPACE
    }
    settled = []
    for res in wanted.resources:
        if res.key.kind is Kind.WORKSPACE and res.essence.get("region") == "auto":
            # A renamed workspace is live under a previous name (``core.renames``).
            names = (res.key, *(workspace_key(n) for n in res.previous_names))
            actual = next((a for k in names if (a := live_region.get(k.folded)) is not None), None)
            if actual is not None:
                res = replace(res, essence={**res.essence, "region": actual})
        settled.append(res)
    return replace(wanted, resources=tuple(settled))
