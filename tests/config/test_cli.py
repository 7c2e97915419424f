"""`flexctl validate` and `flexctl schema`: exit codes and output, run through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import main

from .conftest import BROKEN, EXAMPLE

REPO = EXAMPLE.parents[1]


def test_validate_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "valid: 1 organization, 2 regions, 2 data planes, 3 workspaces, 1 group (digest "
    )
    assert out.endswith("…)\n")


def test_validate_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE), "--output", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is True
    assert body["counts"] == {
        "organizations": 1,
        "regions": 2,
        "dataplanes": 2,
        "workspaces": 3,
        "groups": 1,
    }
    assert len(body["digest"]) == 64


def test_validate_invalid_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN / "enum-wrong-case")
    assert main(["validate"]) == 1
    assert capsys.readouterr().out == (BROKEN / "enum-wrong-case" / "expected.txt").read_text()


def test_validate_invalid_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN / "duplicate-access-entry")
    assert main(["validate", ".", "--output", "json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is False
    assert body["diagnostics"][0] == {
        "path": "organization.yaml",
        "line": 18,
        "column": 5,
        "severity": "error",
        "message": "user 'admin@acme.example' is listed twice in this access list "
        "(first at line 16); a user has one role per organization",
    }


def test_validate_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "config directory does not exist" in capsys.readouterr().out


def test_schema_check_fresh_and_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--check", "--dir", str(tmp_path)]) == 1
    assert main(["schema", "--write", "--dir", str(tmp_path)]) == 0
    assert main(["schema", "--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "region.schema.json").write_text("{}\n")
    assert main(["schema", "--check", "--dir", str(tmp_path)]) == 1
    assert "region.schema.json: stale" in capsys.readouterr().err


def test_schema_prints_the_combined_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"].endswith("/flexctl.schema.json")
