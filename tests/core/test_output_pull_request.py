"""``plan --base``: text, JSON and Markdown carry the same pull-request facts (issue 12 item
7): the documents the pull request changed and the drift it does not explain. The JSON is
valid against the shipped schema and still applies (``pullRequest`` is not read back)."""

from __future__ import annotations

import json

import jsonschema
from test_output_cases import full_plan

from reconciler.core.output import plan_schema, render
from reconciler.core.plan import Plan
from reconciler.gitops.changes import DocumentChange

DOCUMENTS = (
    DocumentChange("Region", "aws-us-east-1", "changed", "3f2a9c1b7d04:regions/us.yaml"),
    DocumentChange("Workspace", "finance-eu", "added", "3f2a9c1b7d04:workspaces/fin.yaml"),
    DocumentChange("Workspace", "marketing-eu", "removed", "1d0d1a0e5b17:workspaces/mk.yaml"),
)
UNEXPLAINED = (("Workspace", "us-analytics"),)
CONTEXT = {"changed_documents": DOCUMENTS, "unexplained_drift": UNEXPLAINED}


def test_every_format_names_the_changed_documents_and_the_unexplained_drift() -> None:
    plan = full_plan()
    text = render(plan, "text", **CONTEXT)
    markdown = render(plan, "markdown", **CONTEXT)
    as_json = json.loads(render(plan, "json", **CONTEXT))
    for doc in DOCUMENTS:
        assert f"{doc.kind} {doc.name}: {doc.status} ({doc.path})" in text
        assert doc.path in markdown
    assert "Drift not explained by this pull request" in text
    assert "  - Workspace us-analytics" in text
    assert "`us-analytics`" in markdown
    assert as_json["pullRequest"] == {
        "changedDocuments": [
            {"kind": d.kind, "name": d.name, "status": d.status, "path": d.path} for d in DOCUMENTS
        ],
        "unexplainedDrift": [{"kind": "Workspace", "name": "us-analytics"}],
    }
    jsonschema.validate(as_json, plan_schema())
    assert Plan.from_json(as_json) == Plan.from_json(json.loads(render(plan, "json")))


def test_without_base_there_is_no_pull_request_section() -> None:
    plan = full_plan()
    assert "Changed documents" not in render(plan, "text")
    assert "pullRequest" not in json.loads(render(plan, "json"))
    empty = render(plan, "text", changed_documents=(), unexplained_drift=())
    assert "Changed documents (this pull request):\n  - none\n" in empty
    assert "Drift not explained" not in empty
