"""A plan as JSON: the saved-plan format (``--out plan.json``, ``apply plan.json``).

The document is ``Plan.as_json()`` with sorted keys, so equal plans give equal bytes. Its
shape is pinned by ``plan.schema.json`` next to this module (package data, versioned by
``formatVersion``); a change to ``Plan.as_json`` must update the schema or bump the version.

Pure: rendering returns a string; ``plan_schema`` reads only the package's own data file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from reconciler.core.output.lines import DocumentChangeLike
from reconciler.core.plan import Plan

SCHEMA_RESOURCE = "plan.schema.json"


def render_json(
    plan: Plan,
    *,
    changed_documents: Sequence[DocumentChangeLike] | None = None,
    unexplained_drift: Sequence[tuple[str, str]] = (),
) -> str:
    """The plan document; with ``plan --base`` (``changed_documents`` given) also
    ``pullRequest``: the documents the pull request changed and the drift it does not explain
    (the same facts as the Markdown comment). ``apply PLAN.json`` ignores ``pullRequest``."""
    document = plan.as_json()
    if changed_documents is not None:
        document["pullRequest"] = {
            "changedDocuments": [
                {"kind": d.kind, "name": d.name, "status": d.status, "path": d.path}
                for d in changed_documents
            ],
            "unexplainedDrift": [{"kind": k, "name": n} for k, n in unexplained_drift],
        }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def plan_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the saved-plan document."""
    text = resources.files(__package__ or __name__).joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
