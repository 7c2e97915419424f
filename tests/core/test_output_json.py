"""JSON rendering: golden files, the package's plan schema, round trip."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from test_output_cases import blocked_only_plan, check_golden, empty_plan, full_plan

from reconciler.core.output import plan_schema, render
from reconciler.core.output.jsonout import render_json
from reconciler.core.plan import PLAN_FORMAT_VERSION, Plan

CASES = {"full": full_plan, "empty": empty_plan, "blocked_only": blocked_only_plan}


def _errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(plan_schema())
    return sorted(f"{e.json_path}: {e.message}" for e in validator.iter_errors(document))


def test_schema_is_valid_and_pins_the_format_version() -> None:
    schema = plan_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["formatVersion"] == {"const": PLAN_FORMAT_VERSION}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_and_valid(case: str) -> None:
    plan = CASES[case]()
    out = render_json(plan)
    check_golden(f"output_{case}.json", out)
    assert _errors(json.loads(out)) == []
    assert render(plan, "json") == out


@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_gives_identical_bytes(case: str) -> None:
    out = render_json(CASES[case]())
    assert render_json(Plan.from_json(json.loads(out))) == out


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(formatVersion=2), "$.formatVersion: 3 was expected"),
        (
            lambda d: d["target"].update(controlPlane="elsewhere"),
            "$.target: {'controlPlane': 'elsewhere', ",
        ),
        (lambda d: d.pop("liveDigest"), "$: 'liveDigest' is a required property"),
        (
            lambda d: d["changes"][0].update(action="replace"),
            "$.changes[0].action: 'replace' is not one of",
        ),
        (
            lambda d: d["changes"][0].update(surprise=True),
            "$.changes[0]: Additional properties are not allowed ('surprise' was unexpected)",
        ),
        (lambda d: d["changes"][-1].update(id=None), "$.changes[16].id: None is not of type"),
        (lambda d: d["unchanged"].update(user=1), "$.unchanged: 'user' is not one of"),
        (lambda d: d["options"].update(prune="yes"), "$.options.prune: 'yes' is not of type"),
        (
            lambda d: d["config"].update(commit="main"),
            "$.config.commit: 'main' does not match",
        ),
        (lambda d: d.pop("state"), "$: 'state' is a required property"),
    ],
)
def test_schema_rejects(mutate: Any, expected: str) -> None:
    document = json.loads(render_json(full_plan()))
    mutate(document)
    errors = _errors(document)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
