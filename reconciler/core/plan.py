"""The plan as a value: changes, field by field, in a fixed order, with the digests that
tie it to the config and live state it was made from.

Besides the changes it holds what apply will *not* do, so a reviewer sees it before the
merge: blocked changes (each with how to unblock it), pending grants to users who do not
exist yet (with "did you mean"), and the guards' refusals (``core.policy``).

A plan is built by ``core.diff`` and rendered by ``core.output``; it can be saved as JSON
(``--out plan.json``) and loaded back for ``apply plan.json``. It never holds a secret:
sensitive values appear only as ``sha256:`` digests and are shown as ``(sensitive)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.core.resources import JSON, Essence, Kind, ResourceKey

#: 3: ``options``, ``config`` and ``state`` record how the plan was made (issue 12 item 5).
PLAN_FORMAT_VERSION = 3


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: A data plane without stored credentials: new data plane, deliver, delete the old one.
    ROTATE = "rotate"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "rotate": "±"}[self.value]


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: JSON
    new: JSON

    def as_json(self) -> dict[str, JSON]:
        return {"path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    action: Action
    key: ResourceKey
    #: Live id for update/delete/rotate; None for create.
    id: str | None = None
    fields: tuple[FieldChange, ...] = ()
    #: Essence to create / to reach (create, update, rotate).
    desired: Essence | None = None
    #: The live object differs from what flexctl last applied: someone changed it outside Git.
    drift: bool = False
    #: Adopting an existing live object into the inventory (ids recorded, nothing re-created).
    adopt: bool = False
    #: Not applied unless asked for (e.g. rotation needs --rotate NAME, deletes need --prune).
    blocked: str | None = None
    notes: tuple[str, ...] = ()
    #: A delete that ends a rotation (or discards a data plane an interrupted run created):
    #: the object goes, the sink (which holds its replacement's credentials) stays.
    retire: bool = False
    #: A workspace delete: how many connections, sources and destinations go with it
    #: (``core.dependants``); None when not counted.
    deletes_with: Mapping[str, int] | None = None

    def sort_key(self) -> tuple[int, int, str]:
        # Deletes run in reverse dependency order, after everything else.
        if self.action is Action.DELETE:
            return (1, -self.key.kind.order, self.key.name.lower())
        return (0, self.key.kind.order, self.key.name.lower())

    def as_json(self) -> dict[str, JSON]:
        extra: dict[str, JSON] = {"retire": True} if self.retire else {}
        if self.deletes_with is not None:
            extra["deletesWith"] = dict(self.deletes_with)
        return extra | {
            "action": self.action.value,
            "kind": self.key.kind.value,
            "name": self.key.name,
            "id": self.id,
            "fields": [f.as_json() for f in self.fields],
            "desired": dict(self.desired) if self.desired is not None else None,
            "drift": self.drift,
            "adopt": self.adopt,
            "blocked": self.blocked,
            "notes": list(self.notes),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Change:
        return Change(
            action=Action(data["action"]),
            key=ResourceKey(Kind(data["kind"]), data["name"]),
            id=data.get("id"),
            fields=tuple(
                FieldChange(f["path"], f["old"], f["new"]) for f in data.get("fields", [])
            ),
            desired=data.get("desired"),
            drift=bool(data.get("drift", False)),
            adopt=bool(data.get("adopt", False)),
            blocked=data.get("blocked"),
            notes=tuple(data.get("notes", [])),
            retire=bool(data.get("retire", False)),
            deletes_with=data.get("deletesWith"),
        )


@dataclass(frozen=True)
class Pending:
    """A grant that waits for its user: users arrive through SSO, flexctl never creates one."""

    key: ResourceKey
    user: str
    role: str
    #: None: an organisation role.
    workspace: str | None = None
    #: The organisation's user whose e-mail is closest, when one is close (a typo).
    did_you_mean: str | None = None
    #: Set for a membership that waits (``role`` is then ``member``).
    group: str | None = None

    @property
    def reason(self) -> str:
        what = "membership" if self.group is not None else "grant"
        said = f"no such user yet: the {what} waits until they sign in"
        if self.did_you_mean:
            said += f" (did you mean {self.did_you_mean}?)"
        return said

    @property
    def subject(self) -> str:
        if self.group is not None:
            return f"add {self.user} to group {self.group}"
        scope = f"workspace {self.workspace}" if self.workspace is not None else "organization"
        return f"grant {self.user} {self.role} in {scope}"

    def as_json(self) -> dict[str, JSON]:
        return {
            "kind": self.key.kind.value,
            "name": self.key.name,
            "user": self.user,
            "role": self.role,
            "workspace": self.workspace,
            "didYouMean": self.did_you_mean,
        } | ({"group": self.group} if self.group is not None else {})

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Pending:
        return Pending(
            key=ResourceKey(Kind(data["kind"]), data["name"]),
            user=str(data["user"]),
            role=str(data["role"]),
            workspace=data.get("workspace"),
            did_you_mean=data.get("didYouMean"),
            group=data.get("group"),
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    config_digest: str
    live_digest: str
    #: Objects already as declared, per kind.
    unchanged: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: Facts a reviewer should know that need no action (data planes running with
    #: credentials flexctl does not hold); JSON ``notes``, only when there are some.
    notes: tuple[str, ...] = ()
    #: Where the config came from: {"repo", "commit", "author", ...} or {"path": ...}.
    source: Mapping[str, str] = field(default_factory=dict)
    #: API calls this run made to build the plan (shown in the footer).
    api_calls: int = 0
    #: Which control plane the plan was made against: {"controlPlane": "remote", "url",
    #: "urlFrom", "organizationId"} or {"controlPlane": "embedded", "stateDir", "why", ...}.
    target: Mapping[str, str] = field(default_factory=dict)
    #: Grants that wait for users who do not exist yet (never sent).
    pending: tuple[Pending, ...] = ()
    #: Why apply will refuse this plan (``--max-deletes`` and the other guards).
    refusals: tuple[str, ...] = ()
    #: The residency audit's findings (``core.residency``), each with its severity.
    findings: tuple[Mapping[str, JSON], ...] = ()
    #: How ``flexctl plan`` made it, so ``apply PLAN.json`` applies it the same way
    #: (``cli.saved``): the planning options (``prune``, ``maxDeletes``, ``rotate``, ...),
    #: where the config came from (an absolute ``path``, or ``repo``/``ref``/``commit``/
    #: ``subdir``) and the state backend (``url``, ``dir``). Empty for plans made elsewhere
    #: (the reconcile loop never saves one).
    options: Mapping[str, JSON] = field(default_factory=dict)
    config: Mapping[str, str] = field(default_factory=dict)
    state: Mapping[str, str] = field(default_factory=dict)

    @property
    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.blocked is None)

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def blocked(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.blocked is not None)

    @property
    def held(self) -> tuple[Change, ...]:
        """Blocked changes that leave live short of the config. A rotation's second step
        waiting for ``flexctl verify`` is not one: the new data plane already serves the config,
        the old one is retired on schedule (``core.rotation``)."""
        return tuple(c for c in self.blocked if not c.retire)

    @property
    def out_of_sync(self) -> bool:
        """Changes to apply, held changes (drift waiting for a flag, deletes waiting for
        --prune or the policy) or pending grants: either way live does not match the config."""
        return self.has_changes or bool(self.held) or bool(self.pending)

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.actionable:
            counts[change.action.value] += 1
        return counts

    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.drift)

    def digest(self) -> str:
        """``sha256:`` of the plan's JSON (without the API call count, which is not the plan):
        names the reviewed plan in a hydration commit."""
        body = {k: v for k, v in self.as_json().items() if k != "apiCalls"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    def as_json(self) -> dict[str, JSON]:
        body: dict[str, JSON] = {
            "formatVersion": PLAN_FORMAT_VERSION,
            "configDigest": self.config_digest,
            "liveDigest": self.live_digest,
            "source": dict(self.source),
            "summary": self.counts(),
            "unchanged": dict(sorted(self.unchanged.items())),
            "warnings": list(self.warnings),
            "changes": [c.as_json() for c in self.changes],
            "apiCalls": self.api_calls,
            "target": dict(self.target),
            "blocked": [
                {
                    "action": c.action.value,
                    "kind": c.key.kind.value,
                    "name": c.key.name,
                    "reason": c.blocked,
                }
                for c in self.blocked
            ],
            "pending": [p.as_json() for p in self.pending],
            "refusals": list(self.refusals),
            "residencyFindings": [dict(f) for f in self.findings],
            "options": dict(self.options),
            "config": dict(self.config),
            "state": dict(self.state),
        }
        if self.notes:
            body["notes"] = list(self.notes)
        return body

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Plan:
        version = data.get("formatVersion")
        if version != PLAN_FORMAT_VERSION:
            raise ValueError(
                f"plan format version {version!r} is not supported (expected {PLAN_FORMAT_VERSION})"
            )
        return Plan(
            changes=tuple(Change.from_json(c) for c in data["changes"]),
            config_digest=str(data["configDigest"]),
            live_digest=str(data["liveDigest"]),
            unchanged=dict(data.get("unchanged", {})),
            warnings=tuple(data.get("warnings", [])),
            notes=tuple(data.get("notes", [])),
            source=dict(data.get("source", {})),
            api_calls=int(data.get("apiCalls", 0)),
            target=dict(data.get("target", {})),
            # "blocked" is derived from the changes: not read back.
            pending=tuple(Pending.from_json(p) for p in data.get("pending", [])),
            refusals=tuple(data.get("refusals", [])),
            findings=tuple(data.get("residencyFindings", [])),
            options=dict(data.get("options", {})),
            config=dict(data.get("config", {})),
            state=dict(data.get("state", {})),
        )
