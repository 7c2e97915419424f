"""The published Airbyte spec files as JSON Schema validators (tests skip without them)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# The repository's sibling ``shared/`` (a helper's worktree sits one level deeper than main).
REFERENCE = next(
    (
        parent / "shared" / "reference" / "airbyte-api"
        for parent in Path(__file__).resolve().parents[2:]
        if (parent / "shared" / "reference" / "airbyte-api").is_dir()
    ),
    Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "airbyte-api",
)
DOCS = {"api": "api.yaml", "config": "config.yaml", "problems": "api-problems.yaml"}


@cache
def _documents() -> dict[str, Any]:
    if not all((REFERENCE / name).is_file() for name in DOCS.values()):
        pytest.skip(f"reference spec not found under {REFERENCE}")
    # PyYAML (a dependency of the kubernetes client): config.yaml has flow mappings that
    # YAML 1.2 parsers such as ruamel reject.
    yaml = pytest.importorskip("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {
        key: yaml.load((REFERENCE / name).read_text(encoding="utf-8"), Loader=loader)
        for key, name in DOCS.items()
    }


@cache
def _registry() -> Registry:
    docs = _documents()
    return Registry().with_resources(
        (f"urn:{key}", DRAFT202012.create_resource(doc)) for key, doc in docs.items()
    )


def validate(doc: str, schema: str, instance: object) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` matches ``doc``'s schema."""
    validator = Draft202012Validator(
        {"$ref": f"urn:{doc}#/components/schemas/{schema}"},
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(instance)


def problem_defaults(schema: str) -> dict[str, Any]:
    """The ``status``, ``type`` and ``title`` a problem schema declares as defaults."""
    parts = _documents()["problems"]["components"]["schemas"][schema]["allOf"]
    props = next(p["properties"] for p in parts if "properties" in p)
    return {key: props[key]["default"] for key in ("status", "type", "title") if key in props}


def check_problem(body: object, schema: str) -> None:
    """Validate a problem body; ``documentationUrl: null`` is the real server's quirk (the spec
    says string), so it is checked separately."""
    assert isinstance(body, dict)
    assert body.get("documentationUrl", None) is None
    validate("problems", schema, {k: v for k, v in body.items() if k != "documentationUrl"})
    for key, value in problem_defaults(schema).items():
        assert body[key] == value, (key, body)
