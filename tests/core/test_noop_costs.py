"""What keeps a no-op plan over many workspaces small: equal values held once (``Shared``), and
deepdiff imported only when something differs. Each test fails when the saving is undone or
when it changes a value."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from reconciler.config.loader import load_directory
from reconciler.core.desired_resources import desired_resources
from reconciler.core.inventory import Entry, Inventory
from reconciler.core.live_resources import LiveSnapshot, live_resources
from reconciler.core.resources import Kind, workspace_key
from reconciler.sharing import Shared

ORG_ID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
ORGANIZATION = f"""\
apiVersion: flexctl/v1
kind: Organization
name: org
organizationId: {ORG_ID}
airbyteUrl: https://airbyte.example
secretsManager:
  type: AWS_SECRET_MANAGER
  awsSecretManager: {{region: us-east-1, authenticationType: instanceProfile}}
defaultStorage:
  type: s3
  buckets: {{log: b, state: b, workloadOutput: b, activityPayload: b}}
  s3: {{region: us-east-1, authenticationType: instanceProfile}}
"""


def test_shared_gives_one_object_for_equal_json_values_only() -> None:
    shared = Shared()
    first = shared({"a": {"enabled": True}, "b": [1, None]})
    assert shared({"a": {"enabled": True}, "b": [1, None]}) is first
    assert shared({"a": {"enabled": 1}, "b": [1, None]}) is not first  # 1 is not true
    assert shared({"b": [1, None], "a": {"enabled": True}}) == first  # other order: kept apart
    nan = {"x": math.nan}
    assert shared({"x": None}) is not nan and shared(nan) is nan  # JSON writes NaN as null
    odd = {"x": {1, 2}}
    assert shared(odd) is odd  # not JSON: itself


def notifications(failure: bool) -> dict[str, Any]:
    off = {"email": {"enabled": False}, "webhook": {"enabled": False}}
    on = {"email": {"enabled": True}, "webhook": {"enabled": False}}
    return {"failure": on if failure else off, "success": off}


def test_live_workspaces_with_equal_settings_share_one_essence_value() -> None:
    raw = [notifications(True), notifications(True), notifications(False)]
    workspaces = [
        {"workspaceId": f"w-{i}", "name": f"ws-{i}", "dataResidency": "EU", "notifications": n}
        for i, n in enumerate(raw)
    ]
    one, two, three = live_resources(LiveSnapshot(ORG_ID, workspaces=workspaces))
    assert one.essence["notifications"] is two.essence["notifications"]
    assert one.essence["notifications"] != three.essence["notifications"]
    assert one.essence["notifications"]["failure"] == {
        "email": True,
        "webhook": False,
        "webhookUrl": None,
    }
    assert three.essence["notifications"]["failure"]["email"] is False
    assert three.essence["notifications"]["connectionUpdate"]["email"] is True  # server default


def test_declared_workspaces_with_equal_settings_share_one_essence_value(tmp_path: Path) -> None:
    (tmp_path / "organization.yaml").write_text(ORGANIZATION)
    docs = [
        f"apiVersion: flexctl/v1\nkind: Workspace\nname: ws-{i}\nregion: EU\n"
        f"notifications:\n  failure: {{email: {{enabled: {str(on).lower()}}}}}\n"
        for i, on in enumerate([True, True, False])
    ]
    (tmp_path / "workspaces.yaml").write_text("---\n".join(docs))
    wanted = desired_resources(load_directory(tmp_path), lambda ref, where: "unused")
    one, two, three = [r for r in wanted.resources if r.key.kind is Kind.WORKSPACE]
    assert one.essence["notifications"] is two.essence["notifications"]
    assert one.essence["notifications"]["failure"]["email"] is True
    assert three.essence["notifications"]["failure"]["email"] is False


def test_inventory_entries_share_equal_last_applied_values() -> None:
    essence = {"name": "x", "region": "eu", "notifications": {"failure": {"email": True}}}
    entries = [
        Entry(workspace_key(f"ws-{i}"), f"w-{i}", last_applied={**essence, "name": f"ws-{i}"})
        for i in range(3)
    ]
    document = json.loads(json.dumps(Inventory(entries).as_json()))
    read = Inventory.from_json(document)
    one, two, three = (e.last_applied or {} for e in read)
    assert one["notifications"] is two["notifications"] is three["notifications"]
    assert read.as_json() == document


def test_a_plan_without_differences_never_imports_deepdiff() -> None:
    probe = (
        "import sys\n"
        "from reconciler.core.diff import field_changes\n"
        "assert field_changes({'a': 1}, {'a': 1}) == []\n"
        "assert 'deepdiff' not in sys.modules\n"
        "[change] = field_changes({'a': 1}, {'a': 2})\n"
        "print(change.path, change.old, change.new)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["a", "1", "2"]
