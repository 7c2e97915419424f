"""Which declared data planes' sinks hold their credentials (``engine.credmoves``): only data
planes are matched there (the plan matches everything itself), with the results and the
errors matching everything gave."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from reconciler.core.desired_resources import DesiredResources
from reconciler.core.diff import AmbiguityError, match
from reconciler.core.inventory import Entry, Inventory
from reconciler.core.resources import Resource, dataplane_key, region_key, workspace_key
from reconciler.engine.credmoves import check_credentials


@dataclass
class Stored:
    dataplane_id: str


@dataclass
class FakeSink:
    holds: str | None

    def read(self) -> Stored | None:
        return Stored(self.holds) if self.holds is not None else None

    def describe(self) -> str:
        return "fake"


def declared(*planes: tuple[str, str]) -> Any:
    return SimpleNamespace(dataplanes=[SimpleNamespace(region=r, name=n) for r, n in planes])


def wanted(*resources: Resource) -> DesiredResources:
    return DesiredResources(resources=tuple(resources), users=frozenset())


PLANES = [("eu", "a"), ("eu", "b"), ("us", "c")]
DESIRED = [Resource(dataplane_key(r, n), essence={"name": n}) for r, n in PLANES]
DESIRED += [Resource(workspace_key("team"), essence={}), Resource(region_key("eu"), essence={})]


def live(key: Any, object_id: str) -> Resource:
    return Resource(key, essence={}, id=object_id)


def test_holding_and_missing_credentials_are_found_among_every_kind() -> None:
    found = [
        live(dataplane_key("eu", "a"), "dp-a"),
        live(dataplane_key("EU", "B"), "dp-b"),  # keys fold
        live(dataplane_key("us", "c"), "dp-c1"),
        live(dataplane_key("us", "c"), "dp-c2"),  # two live: the inventory's wins
        live(workspace_key("team"), "ws-1"),
        live(workspace_key("team"), "ws-2"),  # ambiguous, but not a data plane: not here
    ]
    inventory = Inventory([Entry(dataplane_key("us", "c"), "dp-c2")])
    holds = {"eu/a": "dp-a", "eu/b": "someone-else", "us/c": "dp-c2"}
    check = check_credentials(
        declared(*PLANES),
        wanted(*DESIRED),
        found,
        inventory,
        lambda dp: FakeSink(holds[f"{dp.region}/{dp.name}"]),  # type: ignore[arg-type,return-value]
    )
    assert check.missing == {"eu/b"}
    assert check.moves == {} and check.warnings == []
    with pytest.raises(AmbiguityError):  # the plan's own match still refuses the workspaces
        match(wanted(*DESIRED).resources, found, inventory)


def test_an_ambiguous_data_plane_is_reported_with_every_other_ambiguity() -> None:
    found = [
        live(dataplane_key("eu", "a"), "dp-a1"),
        live(dataplane_key("eu", "a"), "dp-a2"),
        live(workspace_key("team"), "ws-1"),
        live(workspace_key("team"), "ws-2"),
    ]
    with pytest.raises(AmbiguityError) as everything:
        match(wanted(*DESIRED).resources, found, Inventory())
    with pytest.raises(AmbiguityError) as caught:
        check_credentials(
            declared(*PLANES),
            wanted(*DESIRED),
            found,
            Inventory(),
            lambda dp: FakeSink(None),  # type: ignore[arg-type,return-value]
        )
    assert str(caught.value) == str(everything.value)
    assert "workspace team matches 2 live objects (ws-1, ws-2)" in str(caught.value)
    assert "dataplane eu/a matches 2 live objects (dp-a1, dp-a2)" in str(caught.value)
