"""Which objects a reconcile cycle is about: drifted, pending, blocked and failed, by kind and key.

Values only (no I/O). The engine's cycle fills an ``ObjectLists`` from its plan and apply result;
the loop caps it (``capped``) so the status document, the log, the webhook and ``--output json``
all show the same first objects and say how many more there were. Details hold field paths,
reasons and error messages, never values (a value may be a secret).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ObjectState = Literal["drifted", "pending", "blocked", "failed"]
STATES: tuple[ObjectState, ...] = ("drifted", "pending", "blocked", "failed")

#: Objects kept per state. A status file, a chat message and a log are read by a person:
#: 25 names are a list, 2,000 are noise (the count of the rest says how bad it is).
DEFAULT_CAP = 25


@dataclass(frozen=True)
class ObjectReport:
    kind: str
    key: str
    #: The plan's action (create, update, delete, rotate).
    action: str
    #: Changed field paths, the reason a change is blocked, or the error of a failed one.
    detail: str = ""

    def line(self) -> str:
        text = f"{self.action} {self.kind} {self.key}"
        return f"{text} ({self.detail})" if self.detail else text

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "action": self.action, "detail": self.detail}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectReport:
        return cls(
            kind=str(data["kind"]),
            key=str(data["key"]),
            action=str(data["action"]),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True)
class ObjectLists:
    drifted: tuple[ObjectReport, ...] = ()
    pending: tuple[ObjectReport, ...] = ()
    blocked: tuple[ObjectReport, ...] = ()
    failed: tuple[ObjectReport, ...] = ()
    #: Objects left out of each list by ``capped`` (0 when the list is complete).
    omitted: Mapping[str, int] = field(default_factory=dict)

    def of(self, state: ObjectState) -> tuple[ObjectReport, ...]:
        found: tuple[ObjectReport, ...] = getattr(self, state)
        return found

    def total(self, state: ObjectState) -> int:
        """How many objects are in that state, counting the ones ``capped`` left out."""
        return len(self.of(state)) + int(self.omitted.get(state, 0))

    def __bool__(self) -> bool:
        return any(self.total(s) for s in STATES)

    def capped(self, limit: int = DEFAULT_CAP) -> ObjectLists:
        lists = {s: self.of(s)[:limit] for s in STATES}
        omitted: dict[str, int] = {s: self.total(s) - len(lists[s]) for s in STATES}
        return ObjectLists(**lists, omitted=omitted)

    def lines(self) -> list[str]:
        """One line per object, then one per state with objects left out: for logs and chat."""
        out: list[str] = []
        for state in STATES:
            out += [f"{state}: {o.line()}" for o in self.of(state)]
            if self.omitted.get(state):
                out.append(f"{state}: ... and {self.omitted[state]} more")
        return out

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {s: [o.as_json() for o in self.of(s)] for s in STATES}
        body["omitted"] = {s: int(self.omitted.get(s, 0)) for s in STATES}
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ObjectLists:
        if not data:
            return cls()  # written before objects were reported (status formatVersion 1)
        lists = {s: _reports(data.get(s, ())) for s in STATES}
        omitted: dict[str, int] = {s: int(data.get("omitted", {}).get(s, 0)) for s in STATES}
        return cls(**lists, omitted=omitted)


def _reports(items: Iterable[Mapping[str, Any]]) -> tuple[ObjectReport, ...]:
    return tuple(ObjectReport.from_json(item) for item in items)
