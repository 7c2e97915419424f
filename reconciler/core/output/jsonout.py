"""A plan as JSON: the saved-plan format (``--out plan.json``, ``apply plan.json``).

The document is ``Plan.as_json()`` with sorted keys, so equal plans give equal bytes. Its
shape is pinned by ``plan.schema.json`` next to this module (package data, versioned by
``formatVersion``); a change to ``Plan.as_json`` must update the schema or bump the version.

Pure: rendering returns a string; ``plan_schema`` reads only the package's own data file.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from reconciler.core.plan import Plan

SCHEMA_RESOURCE = "plan.schema.json"


def render_json(plan: Plan) -> str:
    return json.dumps(plan.as_json(), indent=2, sort_keys=True) + "\n"


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the saved-plan document."""
    text = resources.files(__package__ or __name__).joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
