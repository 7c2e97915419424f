"""The words of a plan, shared by every human-readable format: one change as a header and
body lines, values as short literals, the summary footer.

Owns the redaction rule: a ``sha256:`` digest of a secret never reaches a line; it reads
``(sensitive)``, and a secret that changed reads ``(sensitive value changed)``. Free text
(notes, warnings, reasons) is scrubbed the same way in case a digest slipped into it.

Pure: no colour, no Markdown, no I/O. ``text`` and ``markdown`` decide how lines look.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from reconciler.core.dependants import dependants_text
from reconciler.core.plan import Action, Change, FieldChange, Plan
from reconciler.core.resources import JSON, Essence, Kind, is_sensitive

SENSITIVE = "(sensitive)"
SENSITIVE_CHANGED = "(sensitive value changed)"
ARROW = "→"

_DIGEST = re.compile(r"sha256:[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class ChangeView:
    """One change in words: ``symbol header`` on the first line, then ``body`` lines."""

    symbol: str
    header: str
    body: tuple[str, ...]
    blocked: bool


def scrub(text: str) -> str:
    return _DIGEST.sub(SENSITIVE, text)


def literal(value: JSON) -> str:
    """A value as a short JSON-like literal, secrets replaced, keys sorted."""
    if is_sensitive(value):
        return SENSITIVE
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))}: {literal(value[k])}" for k in sorted(value))
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return scrub(json.dumps(value, ensure_ascii=False, sort_keys=True))


def field_line(change: FieldChange) -> str:
    path = change.path or "(root)"
    if is_sensitive(change.old) and is_sensitive(change.new):
        return f"{path}: {SENSITIVE_CHANGED}"
    return f"{path}: {literal(change.old)} {ARROW} {literal(change.new)}"


def flatten(value: JSON, prefix: str = "") -> Iterator[tuple[str, JSON]]:
    """Leaves of nested mappings as ``(dotted.path, value)``; ``name`` first, then sorted."""
    if isinstance(value, Mapping) and value:
        for key in sorted(value, key=lambda k: (str(k) != "name", str(k))):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, value


def _essence_lines(kind: Kind, essence: Essence) -> tuple[str, ...]:
    shown = dict(essence)
    notifications = shown.get("notifications")
    quiet = kind is Kind.WORKSPACE and isinstance(notifications, Mapping)
    if quiet and isinstance(notifications, Mapping):
        # Every event is always written in full; listing the all-off ones is noise.
        shown["notifications"] = {
            event: setting
            for event, setting in notifications.items()
            if any(leaf for _, leaf in flatten(setting))
        }
    lines: list[str] = []
    for path, value in flatten(shown):
        if quiet and path == "notifications":  # only left when every event was off
            lines.append(f"{path}: (all off)")
        elif path:
            lines.append(f"{path}: {literal(value)}")
    return tuple(lines)


def _permission_subject(change: Change) -> tuple[str, str]:
    """(user, "in workspace X" | "in organization"), from the essence or else the key."""
    desired = change.desired or {}
    name = change.key.name
    workspace: str | None
    if name.startswith("organization/"):
        user, workspace = name.removeprefix("organization/"), None
    else:
        workspace, _, user = name.removeprefix("workspace:").rpartition("/")
    if "user" in desired:
        user = str(desired["user"])
    if "scope" in desired:
        ws = desired.get("workspace")
        workspace = str(ws) if desired["scope"] == "workspace" and ws is not None else None
    return user, (f"in workspace {workspace}" if workspace is not None else "in organization")


def _permission_view(change: Change) -> tuple[str, tuple[FieldChange, ...]]:
    user, scope = _permission_subject(change)
    return _role_sentence(change, user, scope)


def _role_sentence(change: Change, who: str, scope: str) -> tuple[str, tuple[FieldChange, ...]]:
    """ "grant WHO ROLE in SCOPE", "revoke WHO in SCOPE" or "WHO: OLD → NEW in SCOPE"."""
    role = (change.desired or {}).get("role")
    if change.action is Action.CREATE:
        return f"grant {who} {role} {scope}", ()
    if change.action is Action.DELETE:
        return f"revoke {who} {scope}", change.fields
    role_change = next((f for f in change.fields if f.path == "role"), None)
    rest = tuple(f for f in change.fields if f is not role_change)
    if role_change is None:
        return f"{who} {scope}", rest
    return f"{who}: {role_change.old} {ARROW} {role_change.new} {scope}", rest


def _group_view(change: Change) -> tuple[str, tuple[FieldChange, ...]]:
    """Memberships and group roles in words, from the key (deletes carry no essence)."""
    name = change.key.name
    if change.key.kind is Kind.GROUP_MEMBER:
        group, _, user = name.rpartition("/")
        if change.action is Action.DELETE:
            return f"remove {user} from group {group}", change.fields
        return f"add {user} to group {group}", ()
    scope_part, _, group = name.rpartition("/group:")
    scope = (
        f"in workspace {scope_part.removeprefix('workspace:')}"
        if scope_part.startswith("workspace:")
        else "in organization"
    )
    return _role_sentence(change, f"group {group}", scope)


#: Kinds shown as a sentence with a verb (grant, revoke, add, remove), not a kind and a name.
_SENTENCES = (Kind.PERMISSION, Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION)


def _labels(change: Change) -> str:
    labels: list[str] = []
    if change.action is Action.ROTATE:
        labels.append("rotate")
    if change.adopt:
        labels.append(f"adopt existing {change.id}")
    if change.drift and change.action is Action.ROTATE:
        labels.append("drift: no stored credentials")
    elif change.drift:
        what = "deleted" if change.action is Action.CREATE else "changed"
        labels.append(f"drift: {what} outside Git")
    if change.blocked is not None:
        labels.append(f"blocked: {change.blocked}")
    return "".join(f" ({label})" for label in labels)


def _region_of_dataplane(change: Change, field: FieldChange) -> bool:
    return change.key.kind is Kind.DATAPLANE and field.path == "region"


def _old_name(change: Change) -> str:
    """The key's name before the update's name (and, for a data plane, region) changes."""
    old = {f.path: str(f.old) for f in change.fields}
    if change.key.kind is not Kind.DATAPLANE:
        return old.get("name", change.key.name)
    region, _, name = change.key.name.partition("/")
    return f"{old.get('region', region)}/{old.get('name', name)}"


def view(change: Change) -> ChangeView:
    fields = change.fields
    if change.key.kind in _SENTENCES:
        header, fields = (
            _permission_view(change) if change.key.kind is Kind.PERMISSION else _group_view(change)
        )
        body: list[str] = []
    else:
        header = str(change.key)
        body = []
        renamed = [f for f in fields if f.path == "name" or _region_of_dataplane(change, f)]
        if change.action is Action.UPDATE and renamed:
            # The key is the name (a data plane's: region/name): a name that changes is a
            # rename in place (same id).
            header = f"{change.key.kind.value} {_old_name(change)} {ARROW} {change.key.name}"
            header += " (rename)"
            fields = tuple(f for f in fields if f not in renamed)
        if change.action is Action.CREATE and change.desired is not None:
            body.extend(_essence_lines(change.key.kind, change.desired))
    if change.action in (Action.DELETE, Action.ROTATE) and change.id is not None:
        body.append(f"id: {literal(change.id)}")
    body.extend(field_line(f) for f in fields)
    if change.deletes_with is not None:
        body.append(f"# {dependants_text(change.deletes_with)}")
    body.extend(f"# {note}" for note in change.notes)
    return ChangeView(
        symbol=change.action.symbol,
        header=scrub(header + _labels(change)),
        body=tuple(scrub(line) for line in body),
        blocked=change.blocked is not None,
    )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def footer(plan: Plan) -> str:
    unchanged = sum(plan.unchanged.values())
    calls = _plural(plan.api_calls, "API call")
    refused = " Apply will refuse this plan." if plan.refusals else ""
    if not plan.changes and not plan.pending:
        return f"No changes. Live state matches the config. ({unchanged:,} unchanged, {calls})"
    counts = plan.counts()
    actions = ", ".join(f"{counts[a.value]:,} to {a.value}" for a in Action)
    blocked = len(plan.blocked)
    pending = f" {len(plan.pending):,} pending." if plan.pending else ""
    return (
        f"Plan: {actions}. {blocked:,} blocked.{pending} {unchanged:,} unchanged. {calls}.{refused}"
    )


def blocked_lines(plan: Plan) -> tuple[str, ...]:
    """One line per change apply will not make, with how to unblock it."""
    return tuple(scrub(f"{_bare(c)}: {c.blocked}") for c in plan.blocked)


def _bare(change: Change) -> str:
    """The change in words without its labels: "delete workspace x", "revoke a@b in ..."."""
    header = view(replace(change, blocked=None, drift=False, adopt=False)).header
    header = header.removesuffix(" (rotate)")
    if change.key.kind in _SENTENCES:
        return header  # already a verb: grant, revoke, add, remove, a role change
    return f"{change.action.value} {header}"


def pending_lines(plan: Plan) -> tuple[str, ...]:
    """One line per grant that waits for its user, with the likely intended e-mail."""
    return tuple(scrub(f"{p.subject}: {p.reason}") for p in plan.pending)


def refusal_lines(plan: Plan) -> tuple[str, ...]:
    return tuple(scrub(r) for r in plan.refusals)


def not_done_lines(plan: Plan) -> tuple[str, ...]:
    """What an apply of ``plan`` leaves undone, for its summary."""
    held = replace(plan, changes=plan.held)
    return tuple(f"blocked: {line}" for line in blocked_lines(held)) + tuple(
        f"pending: {line}" for line in pending_lines(plan)
    )


#: Section headings shared by text and Markdown.
BLOCKED_HEADING = "Blocked (not applied; how to unblock each)"
PENDING_HEADING = "Pending (grants to users who do not exist yet)"
REFUSED_HEADING = "Refused (apply will refuse this plan)"


def target_line(target: Mapping[str, str]) -> str:
    """Which control plane, in one line: every command that talks to one says it first."""
    if not target:
        return ""
    if target.get("controlPlane") == "embedded":
        return (
            f"Control plane: embedded control plane in {target.get('stateDir')} "
            f"({target.get('why')})"
        )
    return (
        f"Control plane: {target.get('url')}, organization {target.get('organizationId')} "
        f"(from {target.get('urlFrom')})"
    )


def note_lines(plan: Plan) -> tuple[str, ...]:
    return tuple(f"note: {scrub(n)}" for n in plan.notes)


def warning_lines(plan: Plan) -> tuple[str, ...]:
    return tuple(f"warning: {scrub(w)}" for w in plan.warnings)


class DocumentChangeLike(Protocol):
    """What ``gitops.changes.DocumentChange`` offers; read-only so frozen values fit."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def path(self) -> str: ...


def document_lines(documents: Sequence[DocumentChangeLike]) -> tuple[str, ...]:
    """``plan --base``: each document the pull request changed, with its file."""
    return tuple(
        f"{d.kind} {d.name}: {d.status}" + (f" ({d.path})" if d.path else "") for d in documents
    )


def unexplained_lines(unexplained: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Drifted objects whose documents the pull request did not change."""
    return tuple(f"{kind} {name}" for kind, name in unexplained)
