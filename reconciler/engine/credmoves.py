"""Which declared data planes' sinks hold their credentials, and moving them after a rename.

A sink's place follows the data plane's name (``{region}/{dataplane}`` in a secrets-manager
path, ``<region>--<dataplane>`` in a state file's name). A data plane renamed in place (its
own ``previousNames`` or its region's, ``core.renames``) keeps its id and credentials, which
still sit where the old name put them: the plan says they move, and apply moves them (read
the old place, write the new one, which reads back, then delete the old copy). When both names
lead to the same place (a Kubernetes Secret is named by the release), nothing moves.

Must not: decide the plan (``core``), or print a credential.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane
from reconciler.core.desired_resources import DesiredResources
from reconciler.core.diff import AmbiguityError, match
from reconciler.core.inventory import Inventory
from reconciler.core.renames import follow_renames
from reconciler.core.resources import Kind, Resource
from reconciler.errors import SinkError
from reconciler.sinks import CredentialSinkProtocol

SinkFor = Callable[[DataPlane], CredentialSinkProtocol]


@dataclass(frozen=True)
class CredentialCheck:
    #: Declared data-plane keys whose sink holds no credentials for their live data plane.
    missing: set[str] = field(default_factory=set)
    #: Declared data-plane key -> "from X to Y": renamed, credentials still at the old place.
    moves: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def old_document(dataplane: DataPlane, before: str) -> DataPlane:
    """The document as it was under its previous key ``REGION/NAME`` (where its sink was)."""
    region, _, name = before.partition("/")
    return dataplane.model_copy(update={"region": region, "name": name})


def check_credentials(
    desired: DesiredState,
    wanted: DesiredResources,
    live: Sequence[Resource],
    inventory: Inventory,
    make: SinkFor,
) -> CredentialCheck:
    """Data planes that exist live but whose sink holds no credentials (need rotation), and
    renamed ones whose credentials are still where the old name put them (to move)."""
    renames, named = follow_renames(wanted.resources, live, inventory)
    # Only data planes are matched here: a key's candidates are of its own kind, so their
    # matches are the ones matching everything gives (the plan matches everything anyway;
    # twice was 5% of a no-op plan at 10,000 workspaces). An ambiguous data plane is reported
    # as matching everything reports it, with every other kind's ambiguities.
    planes = [r for r in wanted.resources if r.key.kind is Kind.DATAPLANE]
    try:
        found = match(planes, [r for r in named if r.key.kind is Kind.DATAPLANE], inventory)
    except AmbiguityError:
        match(wanted.resources, named, inventory)
        raise
    live_ids = {
        m.desired.key.name: m.live.id
        for m in found
        if m.desired is not None and m.live is not None and m.desired.key.kind is Kind.DATAPLANE
    }
    out = CredentialCheck()
    for dp in desired.dataplanes:
        key = f"{dp.region}/{dp.name}"
        live_id = live_ids.get(key)
        if live_id is None:
            continue
        sink = make(dp)
        try:
            if _holds(sink, live_id):
                continue
            before = renames.renamed_planes.get(live_id)
            old = make(old_document(dp, before)) if before is not None else None
            if old is not None and old.describe() != sink.describe() and _holds(old, live_id):
                out.moves[key] = f"from {old.describe()} to {sink.describe()}"
                continue
        except SinkError as exc:
            out.warnings.append(f"could not check credentials of dataplane {key}: {exc}")
            continue
        out.missing.add(key)
    return out


def _holds(sink: CredentialSinkProtocol, dataplane_id: str) -> bool:
    stored = sink.read()
    return stored is not None and stored.dataplane_id == dataplane_id


def move_credentials(
    old: CredentialSinkProtocol, new: CredentialSinkProtocol, dataplane_id: str
) -> bool:
    """Copy the credentials of ``dataplane_id`` from ``old`` to ``new`` (read back), then
    forget them at ``old``; False when ``old`` does not hold them (nothing done)."""
    if old.describe() == new.describe():
        return False
    stored = old.read()
    if stored is None or stored.dataplane_id != dataplane_id:
        return False
    new.write(stored)
    old.delete()
    return True
