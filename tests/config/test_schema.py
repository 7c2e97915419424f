"""The committed JSON Schemas match the models, and describe the example documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.config.schema import COMBINED, build_schemas, stale_schemas
from reconciler.config.yamlio import read_documents

from .conftest import EXAMPLE

SCHEMAS = EXAMPLE.parents[1] / "schemas"


def test_committed_schemas_are_fresh() -> None:
    assert stale_schemas(SCHEMAS) == [], "run: flexctl schema --write"


def test_schema_files_are_deterministic() -> None:
    assert build_schemas() == build_schemas()
    assert all(text.endswith("}\n") for text in build_schemas().values())


def _example_documents() -> list[Any]:
    return [
        doc.data
        for path in sorted(EXAMPLE.rglob("*.yaml"))
        for doc in read_documents(path.read_text())
    ]


@pytest.mark.parametrize("index", range(9))
def test_example_documents_match_the_combined_schema(index: int) -> None:
    import json

    schema = json.loads((SCHEMAS / COMBINED).read_text())
    documents = _example_documents()
    assert len(documents) == 9
    jsonschema.Draft202012Validator(schema).validate(documents[index])


def test_combined_schema_rejects_an_unknown_kind() -> None:
    import json

    schema = json.loads((SCHEMAS / COMBINED).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({"apiVersion": "flexctl/v1", "kind": "Connection", "name": "x"})


def test_modeline_in_every_example_file() -> None:
    for path in EXAMPLE.rglob("*.yaml"):
        first = path.read_text().splitlines()[0]
        relative = Path("../" * (len(path.relative_to(EXAMPLE).parts) - 1) + "../../schemas")
        assert first == f"# yaml-language-server: $schema={relative.as_posix()}/flexctl.schema.json"
