"""JSON Schemas for editors, generated from the document models.

One schema per kind (``<kind-lower>.schema.json``) and a combined ``flexctl.schema.json``
(``oneOf`` by kind) so that a single modeline works for any document::

    # yaml-language-server: $schema=../../schemas/flexctl.schema.json

The models stay the validator; these files only help editors. Output is deterministic
(sorted keys, trailing newline) so the committed copies can be checked for staleness.
Must not: write anywhere but the directory it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.config.models import KINDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://flexctl.dev/schemas/"
COMBINED = "flexctl.schema.json"


def file_name(kind: str) -> str:
    return f"{kind.lower()}.schema.json"


def kind_schema(kind: str) -> dict[str, Any]:
    schema = KINDS[kind].model_json_schema(by_alias=True)
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = ID_BASE + file_name(kind)
    schema["title"] = f"flexctl {kind}"
    return schema


def combined_schema() -> dict[str, Any]:
    """Every kind in one self-contained schema: their ``$defs`` merged, ``oneOf`` by kind."""
    defs: dict[str, Any] = {}
    choices = []
    for kind in sorted(KINDS):
        schema = KINDS[kind].model_json_schema(by_alias=True)
        for name, definition in schema.pop("$defs", {}).items():
            if defs.setdefault(name, definition) != definition:
                raise ValueError(f"two models share the schema name {name!r}")
        defs[kind] = schema
        choices.append({"$ref": f"#/$defs/{kind}"})
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": ID_BASE + COMBINED,
        "title": "flexctl document",
        "description": "Any flexctl/v1 document: " + ", ".join(sorted(KINDS)),
        "oneOf": choices,
        "$defs": defs,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_schemas() -> dict[str, str]:
    """File name -> content of every schema file."""
    files = {file_name(kind): render(kind_schema(kind)) for kind in sorted(KINDS)}
    files[COMBINED] = render(combined_schema())
    return files


def write_schemas(directory: Path) -> list[str]:
    """Write every schema into ``directory``; the names of files that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = stale_schemas(directory)
    for name, content in build_schemas().items():
        if name in changed:
            (directory / name).write_text(content, encoding="utf-8")
    return changed


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema files in ``directory`` that are missing or differ from the models."""
    stale = []
    for name, content in build_schemas().items():
        target = directory / name
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            stale.append(name)
    return stale
