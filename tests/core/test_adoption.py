"""``core.adoption``: what import writes for a snapshot, where no server is needed to tell."""

from __future__ import annotations

from reconciler.core.adoption import documents_for
from reconciler.core.live_resources import LiveSnapshot

ORG = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"


def _workspace(name: str, number: int) -> dict[str, object]:
    return {"workspaceId": f"ws-{number}", "name": name, "dataResidency": "EU"}


def test_workspaces_whose_slugs_collide_get_files_and_slugs_of_their_own() -> None:
    snapshot = LiveSnapshot(
        organization_id=ORG,
        workspaces=(_workspace("DE Finance", 1), _workspace("de-finance", 2)),
        managed_regions={"EU": "eu"},
    )
    docs = documents_for(snapshot)
    assert sorted(docs) == ["workspaces/de-finance-2.yaml", "workspaces/de-finance.yaml"]
    assert docs["workspaces/de-finance.yaml"].data["name"] == "DE Finance"
    assert "slug" not in docs["workspaces/de-finance.yaml"].data
    second = docs["workspaces/de-finance-2.yaml"].data
    assert (second["name"], second["slug"], second["region"]) == (
        "de-finance",
        "de-finance-2",
        "EU",
    )
