"""The loader end to end: the example, the digest, directories, sources, and secrecy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory, load_sources
from reconciler.config.sources import SourceFile

from .conftest import BROKEN, EXAMPLE


def test_example_loads() -> None:
    state = load_directory(EXAMPLE)
    assert state.organization.name == "acme"
    assert [r.name for r in state.regions] == ["aws-ap-southeast-2", "aws-us-east-1"]
    assert [d.name for d in state.dataplanes] == ["ap-southeast-2-primary", "us-east-1-primary"]
    assert [w.name for w in state.workspaces] == ["au-analytics", "marketing-eu", "us-analytics"]
    assert [(g.name, g.members) for g in state.groups] == [
        ("data-eng-us", ["data-eng-us@acme.example", "analyst@acme.example"])
    ]
    source = state.source("Workspace", "au-analytics")
    assert str(source.position) == f"{EXAMPLE}/workspaces/analytics.yaml:42:1"
    assert str(source.at("access", 0, "role")) == f"{EXAMPLE}/workspaces/analytics.yaml:53:5"
    assert state.source("DataPlane", "aws-us-east-1/us-east-1-primary").at("cluster").line == 11


def _documents(root: Path) -> list[str]:
    texts = []
    for path in sorted(root.rglob("*.yaml")):
        texts.extend(part for part in path.read_text().split("\n---\n"))
    return texts


def test_digest_ignores_layout_comments_and_order(example_copy: Path, tmp_path: Path) -> None:
    before = load_directory(example_copy).digest
    documents = _documents(example_copy)
    moved = tmp_path / "one-file"
    moved.mkdir()
    text = "\n---\n".join(f"# reordered\n{doc}\n# trailing comment" for doc in reversed(documents))
    (moved / "all.yml").write_text(text)
    assert load_directory(moved).digest == before


def test_digest_changes_with_a_value(example_copy: Path) -> None:
    before = load_directory(example_copy).digest
    path = example_copy / "regions" / "aws-ap-southeast-2.yaml"
    path.write_text(path.read_text().replace("enabled: true", "enabled: false"))
    assert load_directory(example_copy).digest != before


def test_digest_counts_defaults_as_written_or_not(example_copy: Path) -> None:
    # `enabled: true` is the default: writing it or leaving it out is the same document.
    before = load_directory(example_copy).digest
    path = example_copy / "regions" / "aws-ap-southeast-2.yaml"
    path.write_text(path.read_text().replace("enabled: true\n", ""))
    assert load_directory(example_copy).digest == before


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_directory(tmp_path / "nope")
    assert (
        caught.value.render()
        == f"{tmp_path}/nope: error: config directory does not exist\n1 error(s)"
    )


def test_directory_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello")
    with pytest.raises(ConfigError) as caught:
        load_directory(tmp_path)
    assert [d.message for d in caught.value.diagnostics] == [
        "no *.yaml or *.yml files in the config directory"
    ]


def test_load_sources_from_memory_with_display_paths() -> None:
    files = [
        SourceFile(path.relative_to(EXAMPLE).as_posix(), path.read_bytes())
        for path in sorted(EXAMPLE.rglob("*.yaml"))
    ]
    state = load_sources(files, origin="abc123:")
    assert str(state.source("Region", "aws-us-east-1").position) == "regions/aws-us-east-1.yaml:5:1"


def test_all_files_are_reported_in_one_error(tmp_path: Path) -> None:
    for case in ("unknown-kind", "tab-indentation", "binary-file"):
        shutil.copytree(BROKEN / case, tmp_path / case)
        (tmp_path / case / "organization.yaml").unlink()
    shutil.copy(EXAMPLE / "organization.yaml", tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_directory(tmp_path)
    assert [Path(d.position.path).parent.name for d in caught.value.diagnostics] == [
        "binary-file",
        "tab-indentation",
        "unknown-kind",
    ]


def test_secret_values_never_reach_a_message() -> None:
    # The literal-secret case pastes real-looking secrets into secret fields.
    with pytest.raises(ConfigError) as caught:
        load_sources(
            [
                SourceFile(p.name, p.read_bytes())
                for p in sorted((BROKEN / "literal-secret").glob("*.yaml"))
            ]
        )
    rendered = caught.value.render()
    for secret in ("hunter2-s3cr3t", "my-client", "hooks.slack.com", "XXXX"):
        assert secret not in rendered


def test_adopt_existing_alone_keeps_the_organizations_default_sink(example_copy: Path) -> None:
    """``credentials: {adopt: existing}`` names no sink: a later rotation delivers to the
    Organization's default, not to a ``file`` the data plane never asked for."""
    org = example_copy / "organization.yaml"
    org.write_text(org.read_text() + "credentials: {type: kubernetes}\n")
    dp = example_copy / "dataplanes/aws-us-east-1.yaml"
    dp.write_text(
        dp.read_text().replace("credentials:\n  type: file\n", "credentials:\n  adopt: existing\n")
    )
    state = load_directory(example_copy)
    adopted = next(d for d in state.dataplanes if d.name == "us-east-1-primary")
    assert adopted.adopts_existing and adopted.own_sink is None
    assert state.credentials_for(adopted).type.value == "kubernetes"
