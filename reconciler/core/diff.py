"""Desired + live + inventory -> plan. Identity by natural key, field diffs via deepdiff.

Rules:
- A desired resource matches the live object whose id the inventory holds for its key;
  else the single live object with that key (adoption); two or more candidates and no
  inventory id is an error naming every id, never a guess.
- A live object is deleted only if flexctl manages it (inventory; for permissions: a
  managed user in a managed workspace or the organisation), only when the organisation's
  prune policy allows the kind, and never when protected.
- Live differing from what flexctl last applied is drift, labelled as such.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson

from reconciler.config.models import fold_name
from reconciler.core.access_rules import apply_redundancy_rule
from reconciler.core.desired_resources import DesiredResources
from reconciler.core.inventory import Entry, Inventory
from reconciler.core.plan import Action, Change, FieldChange, Plan
from reconciler.core.renames import follow_renames, rename_notes
from reconciler.core.resources import JSON, Essence, Kind, Resource
from reconciler.core.rotation import retire_changes, rotate_notes, split_live
from reconciler.errors import FlexctlError


class AmbiguityError(FlexctlError):
    """A natural key matches several live objects and the inventory does not say which."""


@dataclass(frozen=True)
class PlanOptions:
    #: kind -> may flexctl delete managed objects of this kind that the config dropped.
    prune: Mapping[Kind, bool] = field(default_factory=dict)
    #: Deletes were asked for (``--prune``, or the reconcile loop's heal mode).
    prune_requested: bool = True
    #: Data-plane keys (``region/name``) the user asked to rotate (``--rotate``).
    rotate: frozenset[str] = frozenset()
    #: ``kind/name`` of protected objects whose protection this run releases (``--unprotect``).
    unprotect: frozenset[str] = frozenset()
    #: Data-plane keys whose credential sink holds nothing (filled in by the engine).
    missing_credentials: frozenset[str] = frozenset()
    #: Data-plane keys running with credentials flexctl does not hold, adopted as they are
    #: (``credentials: {adopt: existing}``): a note, not a rotation, until ``--rotate``.
    adopted_credentials: frozenset[str] = frozenset()
    #: Folded data-plane keys whose rotation may end now (``--finish-rotation``).
    finish_rotation: frozenset[str] = frozenset()
    #: Live data-plane ids an interrupted run created that nobody holds credentials for
    #: (``engine.recovery``), with the reason: deleted, the sink untouched.
    discard: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    source: Mapping[str, str] = field(default_factory=dict)
    api_calls: int = 0
    #: Which control plane (``engine.session.Connection.target``), named by every format.
    target: Mapping[str, str] = field(default_factory=dict)
    #: Renamed data-plane key -> where its credentials move ("from X to Y"), filled in by
    #: the engine (its sink's place follows the name: ``{region}/{dataplane}``, file stems).
    credential_moves: Mapping[str, str] = field(default_factory=dict)


class Match(NamedTuple):
    """A desired resource and the live object it is (or will be) bound to (a tuple: one is
    made per object, 200,000 for a plan of 100,000 workspaces)."""

    desired: Resource | None
    live: Resource | None


def match(
    desired: Sequence[Resource], live: Sequence[Resource], inventory: Inventory
) -> list[Match]:
    live_by_key: dict[tuple[Kind, str], list[Resource]] = defaultdict(list)
    for obj in live:
        live_by_key[obj.key.folded].append(obj)
    problems: list[str] = []
    matches: list[Match] = []
    bound: set[str] = set()
    for want in desired:
        candidates = live_by_key.get(want.key.folded, [])
        owned = [c for c in candidates if inventory.get(c.id or "") is not None]
        pool = owned or candidates
        if len(pool) > 1:
            ids = ", ".join(sorted(c.id or "?" for c in pool))
            problems.append(
                f"{want.key} matches {len(pool)} live objects ({ids}); "
                "delete the extra one or record the right id in the inventory"
            )
            continue
        chosen = pool[0] if pool else None
        if chosen is not None and chosen.id is not None:
            bound.add(chosen.id)
        matches.append(Match(desired=want, live=chosen))
    if problems:
        raise AmbiguityError("; ".join(sorted(problems)))
    for obj in live:
        if obj.id not in bound:
            matches.append(Match(desired=None, live=obj))
    return matches


def build_plan(
    desired: DesiredResources,
    live: Sequence[Resource],
    inventory: Inventory,
    *,
    config_digest: str,
    options: PlanOptions,
) -> Plan:
    kept, gone = split_live(live, inventory, options.discard)
    renamed, live = follow_renames(desired.resources, kept, inventory)
    matches = match(desired.resources, live, inventory)
    managed_users = desired.users | {
        str((e.last_applied or {}).get("user", ""))
        for e in inventory
        if e.key.kind is Kind.PERMISSION
    }
    managed_workspaces = {
        fold_name(r.key.name) for r in desired.resources if r.key.kind is Kind.WORKSPACE
    }
    managed_workspaces |= {fold_name(e.key.name) for e in inventory if e.key.kind is Kind.WORKSPACE}
    managed_groups = set(desired.groups) | {
        fold_name(e.key.name) for e in inventory if e.key.kind is Kind.GROUP
    }
    changes: list[Change] = []
    revokes: list[tuple[Change, str]] = []
    in_groups: list[tuple[Change, str]] = []
    unchanged: dict[str, int] = defaultdict(int)
    for m in matches:
        if m.desired is not None:
            change = _desired_change(m.desired, m.live, inventory, options)
            if change is None:
                unchanged[m.desired.key.kind.value] += 1
            else:
                changes.extend(change)
        elif m.live is not None and _is_managed(
            m.live, inventory, managed_users, managed_workspaces
        ):
            delete = _delete(m.live, inventory, options)
            if m.live.key.kind in (Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION):
                in_groups.append((delete, fold_name(str(m.live.essence.get("group")))))
                continue
            ws = m.live.essence.get("workspace") if m.live.key.kind is Kind.PERMISSION else None
            if ws is None:
                changes.append(delete)
            else:
                revokes.append((delete, fold_name(str(ws))))
        elif m.live is not None and _in_managed_group(m.live, managed_groups, desired):
            group = fold_name(str(m.live.essence.get("group")))
            in_groups.append((_delete(m.live, inventory, options), group))
    # A workspace's permissions go with it: a revoke inside a workspace the plan deletes is
    # neither a separate change nor blocked by the permissions prune policy.
    doomed = {
        fold_name(c.key.name)
        for c in changes
        if c.action is Action.DELETE and c.key.kind is Kind.WORKSPACE and c.blocked is None
    }
    changes += [c for c, ws in revokes if ws not in doomed]
    # Likewise a group's members and roles go with the group (and its roles with a workspace);
    # while the group's delete is blocked they stay too: the removed document is one decision.
    gone_groups = {
        fold_name(c.key.name)
        for c in changes
        if c.action is Action.DELETE and c.key.kind is Kind.GROUP
    }
    changes += [
        c for c, group in in_groups if group not in gone_groups and _workspace_of(c) not in doomed
    ]
    changes += retire_changes(
        gone, inventory, discard=options.discard, finish=options.finish_rotation
    )
    changes = rename_notes(changes, renamed, options.credential_moves)
    changes = apply_redundancy_rule(changes, desired=desired.resources, live=live)
    changes.sort(key=Change.sort_key)
    return Plan(
        changes=tuple(changes),
        config_digest=config_digest,
        live_digest=live_digest(live),
        unchanged=dict(unchanged),
        warnings=options.warnings + not_applied_warnings(desired.resources, live, inventory),
        notes=adopted_notes(options),
        source=options.source,
        api_calls=options.api_calls,
        target=options.target,
    )


def _desired_change(
    want: Resource, have: Resource | None, inventory: Inventory, options: PlanOptions
) -> list[Change] | None:
    if have is None:
        gone = bool(inventory.by_key(want.key))
        return [
            Change(
                action=Action.CREATE,
                key=want.key,
                desired=want.essence,
                drift=gone,
                notes=("deleted outside flexctl; will be created again",) if gone else (),
            )
        ]
    entry = inventory.get(have.id or "")
    out: list[Change] = []
    fields = field_changes(have.essence, want.essence)
    if fields and _known_not_applied(entry, have, want):
        # airbyte#65105: sent once, accepted, not applied; sending it again would loop
        # forever in heal mode. Reported as a warning by the caller, not planned again.
        fields = []
    if fields:
        drift = bool(
            entry
            and entry.last_applied is not None
            and dict(entry.last_applied) != dict(have.essence)
        )
        out.append(
            Change(
                action=Action.UPDATE,
                key=want.key,
                id=have.id,
                fields=tuple(fields),
                desired=want.essence,
                drift=drift,
                adopt=entry is None,
            )
        )
    if want.key.kind is Kind.DATAPLANE:
        out.extend(_rotation(want, have, inventory, options))
    return out or None


def _rotation(
    want: Resource, have: Resource, inventory: Inventory, options: PlanOptions
) -> list[Change]:
    """A rotation when asked for (always) or when no credentials are stored (drift)."""
    missing = want.key.name in options.missing_credentials
    asked = want.key.name in options.rotate
    if not (missing or asked):
        return []
    under_way = [
        e for e in inventory.retiring() if e.retiring and e.retiring.replaced_by == have.id
    ]
    blocked = None if asked else f"run with --rotate {want.key.name}"
    if under_way and asked and not missing:
        blocked = (
            f"a rotation is under way (old data plane {under_way[0].id} retiring): end it "
            f"first (`flexctl verify`, then apply, or --finish-rotation {want.key.name})"
        )
    notes = rotate_notes(have.id)
    if missing:
        notes = ("no stored credentials for this data plane", *notes)
    return [
        Change(
            action=Action.ROTATE,
            key=want.key,
            id=have.id,
            desired=want.essence,
            # A data plane nobody holds credentials for is drift even while the rotation
            # waits for --rotate: automation must see it (plan exit 2, reconcile report).
            drift=missing,
            blocked=blocked,
            notes=notes,
        )
    ]


def adopted_notes(options: PlanOptions) -> tuple[str, ...]:
    return tuple(
        f"dataplane {key}: running with credentials flexctl does not hold; `--rotate {key}` "
        "when you want them managed"
        for key in sorted(options.adopted_credentials - options.rotate)
    )


def essence_digest(essence: Essence) -> str:
    return "sha256:" + hashlib.sha256(_canonical(dict(essence)).encode("utf-8")).hexdigest()


def _known_not_applied(entry: Entry | None, have: Resource, want: Resource) -> bool:
    return (
        entry is not None
        and entry.not_applied is not None
        and entry.not_applied == essence_digest(want.essence)
        and entry.last_applied is not None
        and dict(entry.last_applied) == dict(have.essence)
    )


def not_applied_warnings(
    desired: Sequence[Resource], live: Sequence[Resource], inventory: Inventory
) -> tuple[str, ...]:
    """One line per object whose declared change the server keeps not applying."""
    by_id = {r.id: r for r in live if r.id}
    out = []
    for want in desired:
        for entry in inventory.by_key(want.key):
            have = by_id.get(entry.id)
            if have is not None and _known_not_applied(entry, have, want):
                paths = ", ".join(f.path for f in field_changes(have.essence, want.essence))
                out.append(
                    f"{want.key}: the server accepted but did not apply {paths} "
                    "(airbyte#65105); not sent again until the config changes; set it in the "
                    "Airbyte UI"
                )
    return tuple(sorted(out))


def _is_managed(
    obj: Resource, inventory: Inventory, users: set[str] | frozenset[str], workspaces: set[str]
) -> bool:
    if inventory.get(obj.id or "") is not None:
        return True
    if obj.key.kind is Kind.PERMISSION:
        ws = obj.essence.get("workspace")
        if ws is None and obj.essence.get("role") == "organization_member":
            # Plain membership is what SSO gives every user: not flexctl's to take away.
            return False
        in_scope = ws is None or fold_name(str(ws)) in workspaces
        return in_scope and str(obj.essence.get("user")) in users
    return False


def _in_managed_group(obj: Resource, groups: set[str], desired: DesiredResources) -> bool:
    """A member or role of a group flexctl manages: the group's document declares them all
    (a SCIM group's members are the identity provider's, never flexctl's)."""
    group = fold_name(str(obj.essence.get("group", "")))
    if obj.key.kind is Kind.GROUP_MEMBER:
        return group in groups and group not in desired.scim_groups
    if obj.key.kind is Kind.GROUP_PERMISSION:
        return group in groups or group in desired.scim_groups
    return False


def _workspace_of(change: Change) -> str | None:
    scope = change.key.name.rpartition("/group:")[0]
    if change.key.kind is Kind.GROUP_PERMISSION and scope.startswith("workspace:"):
        return fold_name(scope.removeprefix("workspace:"))
    return None


#: The Organization's ``prune`` key per kind (what a blocked delete tells the user to set).
_PRUNE_KEY = {
    Kind.REGION: "regions",
    Kind.DATAPLANE: "dataPlanes",
    Kind.WORKSPACE: "workspaces",
    Kind.PERMISSION: "permissions",
    Kind.GROUP: "groups",
    Kind.GROUP_MEMBER: "permissions",
    Kind.GROUP_PERMISSION: "permissions",
}


def _delete(obj: Resource, inventory: Inventory, options: PlanOptions) -> Change:
    entry = inventory.get(obj.id or "")
    blocked: str | None = None
    notes: list[str] = []
    released = f"{obj.key.kind.value}/{obj.key.name}".lower() in options.unprotect
    if entry is not None and entry.protect and not released:
        blocked = (
            f"protected (protect: true); release it with --unprotect "
            f"{obj.key.kind.value}/{obj.key.name}"
        )
    elif not options.prune.get(obj.key.kind, False):
        flag = "" if options.prune_requested else " and run with --prune"
        blocked = (
            f"pruning of {obj.key.kind.value}s is off (organization prune policy); to delete, "
            f"set prune.{_PRUNE_KEY[obj.key.kind]}: true in the Organization{flag}"
        )
    elif not options.prune_requested:
        blocked = "run with --prune to delete"
    if entry is not None and entry.protect and released:
        notes.append("protection released with --unprotect")
    if obj.key.kind is Kind.REGION:
        notes.append("deleting a region also deletes its data planes")
    return Change(action=Action.DELETE, key=obj.key, id=obj.id, blocked=blocked, notes=tuple(notes))


_PATH_PART = re.compile(r"\['([^']*)'\]|\[(\d+)\]")


def field_changes(old: Essence, new: Essence) -> list[FieldChange]:
    """Field-level changes from ``old`` to ``new``, sorted by path."""
    # The common case; DeepDiff costs milliseconds per call. Dicts compare as they are
    # (a copy of each was most of this check's time in a no-op plan).
    same = old == new if type(old) is dict and type(new) is dict else dict(old) == dict(new)
    if same:
        return []
    # Imported only when something differs: a no-op plan never pays for deepdiff's import.
    from deepdiff import DeepDiff

    diff = DeepDiff(dict(old), dict(new), verbose_level=2, view="tree")
    changes: list[FieldChange] = []
    for report in diff.values():
        for level in report:
            path = ".".join(a or b for a, b in _PATH_PART.findall(level.path()))
            old_value = None if _missing(level.t1) else level.t1
            new_value = None if _missing(level.t2) else level.t2
            changes.append(FieldChange(path=path, old=old_value, new=new_value))
    changes.sort(key=lambda c: c.path)
    return changes


def _missing(value: object) -> bool:
    return type(value).__name__ == "NotPresent"


def live_digest(live: Iterable[Resource]) -> str:
    """Digest of the live state a plan saw: a saved plan is refused if this moved.

    sha256 of ``json.dumps(rows)``, each row (kind, lower-cased name, id, canonical essence:
    the text ``json.dumps`` writes, by orjson where that is the same, ``_canonical``)."""
    seen: dict[int, object] = {}
    rows = sorted(
        (r.key.kind.value, r.key.name.lower(), r.id or "", _canonical(r.essence, seen))
        for r in live
    )
    # ``json.dumps(rows)`` a row at a time (its items joined by ", " between "[" and "]": the
    # same bytes): the whole text and its encoding were two copies of every essence at once,
    # the peak memory of a 100,000-workspace plan.
    # Each row's text is ``json.dumps(row)``'s, written without its encoder set-up per call
    # (a third of the digest): its four items are strings, each quoted and escaped by the
    # function ``json.dumps`` uses for a string (``ensure_ascii``), joined by ", ".
    hasher = hashlib.sha256(b"[")
    for index, row in enumerate(rows):
        if index:
            hasher.update(b", ")
        hasher.update(_row_text(row).encode("ascii"))
    hasher.update(b"]")
    return hasher.hexdigest()


def _row_text(row: tuple[str, str, object, str]) -> str:
    """``json.dumps(row)``: the same text (an item that is not a string is json's)."""
    try:
        return "[" + ", ".join(map(_quote, row)) + "]"  # type: ignore[arg-type]
    except TypeError:
        return json.dumps(row)


_quote = json.encoder.encode_basestring_ascii


def _canonical(value: JSON, seen: dict[int, object] | None = None) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, the same text.

    orjson with sorted keys writes the same bytes for values made only of dicts with string
    keys, lists, tuples, strings, ints of 64 bits, bools and None, when the text is ASCII
    without DEL: ``json`` escapes every other character (orjson writes it as UTF-8, and DEL
    raw) and writes floats its own way (``1e-05``, ``NaN``; orjson ``0.00001``, ``null``).
    Anything else, or a value nested deeper than ``_PLAIN_DEPTH``, is ``json``'s. ``seen``:
    containers already found plain in this digest (a workspace list's notification settings
    are shared objects, ``api.workspaces``), each held so that its id stays its own."""
    if _plain(value, seen if seen is not None else {}, 0):
        try:
            text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an int past 64 bits
            pass
        else:
            if text.isascii() and b"\x7f" not in text:
                return text.decode("ascii")
    return _CANONICAL.encode(value)


#: Deeper values go to ``json`` (a cycle, too, which it reports as such).
_PLAIN_DEPTH = 32
#: The exact types ``_plain`` takes as they are (not their subclasses: enums are json's).
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: object, seen: dict[int, object], depth: int) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is not dict and kind is not list and kind is not tuple:
        return False  # floats, subclasses (enums), anything json would refuse
    if seen.get(id(value)) is value:
        return True
    if depth >= _PLAIN_DEPTH:
        return False
    # A string, int, bool or None item is settled here (``_PLAIN_SCALARS``), not by a call.
    if kind is dict:
        assert isinstance(value, dict)
        for key, item in value.items():
            if type(key) is not str:
                return False
            if type(item) not in _PLAIN_SCALARS and not _plain(item, seen, depth + 1):
                return False
    else:
        assert isinstance(value, list | tuple)
        for item in value:
            if type(item) not in _PLAIN_SCALARS and not _plain(item, seen, depth + 1):
                return False
    seen[id(value)] = value
    return True


#: ``json.dumps(value, sort_keys=True, separators=(",", ":"))`` without building an encoder per
#: call (two per object of a plan): the same text.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
