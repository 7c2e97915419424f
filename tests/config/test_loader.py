"""The loader end to end: the example, the digest, directories, sources, and secrecy."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.desired import dataplane_key
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory, load_sources
from reconciler.config.models import DataPlane
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


def test_digest_is_json_dumps_canonical_form(example_copy: Path) -> None:
    """The digest is of ``json.dumps(sort_keys, compact, no ASCII escapes)`` to the byte,
    floats (which orjson writes differently) and non-ASCII text included."""
    path = example_copy / "dataplanes" / "aws-ap-southeast-2.yaml"
    path.write_text(
        path.read_text()
        + '  zeta: {big: 1e16, small: 1e-05, inf: .inf, text: "caf\u00e9 \\t\\u0001 \u2028"}\n'
        + "  alpha: [3, 2, 1]\n"
    )
    state = load_directory(example_copy)
    models = [
        state.organization,
        *state.regions,
        *state.dataplanes,
        *state.workspaces,
        *state.groups,
    ]
    bodies = sorted(
        (
            m.kind,
            dataplane_key(m) if isinstance(m, DataPlane) else m.name,
            m.model_dump(mode="json", by_alias=True),
        )
        for m in models
    )
    text = json.dumps(
        [b for _, _, b in bodies], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert "1e+16" in text and "1e-05" in text and "caf\u00e9" in text
    assert state.digest == hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def test_a_valid_config_never_builds_its_documents_positions(tmp_path: Path) -> None:
    """Positions of fast-read files are made on demand: validate's rules (webhook references
    resolved and checked included) ask for none of a valid config's workspaces."""
    from reconciler.config.references import reference_problems
    from reconciler.config.yamlio import LazySpans

    state = load_directory(EXAMPLE)
    env = {"US_ANALYTICS_SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x"}
    assert reference_problems(state, env=env, base_dir=EXAMPLE, missing_ok=True) == []
    workspaces = [state.source("Workspace", w.name) for w in state.workspaces]
    # Every one is fast-read: the example's quoted "*" and commented AIRBYTE_* are in a scalar
    # and in a comment, no anchor or alias.
    spans = [source.keys._spans for source in workspaces]  # type: ignore[attr-defined]
    assert all(isinstance(s, LazySpans) for s in spans)
    assert all(s._spans is None for s in spans)
    # Asked for, they are the exact reader's.
    assert workspaces[0].at("name").line > 0


def test_canonical_json_of_a_document_is_json_dumps_to_the_byte() -> None:
    from reconciler.config.loader import _canonical

    body = {
        "z": ["caf\u00e9", "\t\n\r\b\f\x01\x1f\x7f", "\u2028\u2029", '"\\/', "\U0001f600"],
        "a": {"\u00e9": None, "B": True, "b": False, "n": -(2**63), "m": 2**64 - 1},
        "": [],
    }
    expected = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert _canonical("Workspace", body) == expected.encode("utf-8")


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


def test_a_placeholder_written_through_an_escape_is_still_reported(example_copy: Path) -> None:
    """Files without ``CHANGE-ME`` skip the placeholder walk, but a double-quoted escape
    writes one without those letters in the text: still "fill in", not a dangling region."""
    path = example_copy / "workspaces" / "marketing-eu.yaml"
    text = path.read_text()
    assert "region: EU\n" in text and "CHANGE-ME" not in text
    path.write_text(text.replace("region: EU\n", 'region: "\\x43HANGE-ME"\n'))
    with pytest.raises(ConfigError) as caught:
        load_directory(example_copy)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message.startswith("fill in region:")
    assert (diagnostic.position.path, diagnostic.position.line) == (str(path), 8)


def test_files_that_cannot_hold_a_placeholder_are_not_walked_for_one(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.config import loader

    walked: list[object] = []

    def counting(data: object) -> object:
        walked.append(data)
        return iter(())

    monkeypatch.setattr(loader, "placeholders", counting)
    load_directory(example_copy)
    assert walked == []
    path = example_copy / "workspaces" / "marketing-eu.yaml"
    path.write_text(path.read_text() + "# CHANGE-ME: only a comment\n")
    load_directory(example_copy)
    assert len(walked) == 1


def test_each_documents_secret_references_are_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two checks read a document's secret references (their form, the files they name):
    one walk of the model serves both."""
    from reconciler.config import documents

    walked: list[str] = []
    real = documents.secret_ref_paths

    def counting(model: Any) -> Any:
        walked.append(f"{model.kind}/{model.name}")
        return real(model)

    monkeypatch.setattr(documents, "secret_ref_paths", counting)
    load_directory(EXAMPLE)
    # the files that may hold one: organization, both data planes, analytics.yaml's two
    assert len(walked) == len(set(walked)) == 5


def test_only_files_that_may_hold_a_secret_reference_are_walked_for_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``documents.may_refer``: a file without ``env``, ``file`` or a backslash holds no
    reference (every document of the example and of a config with a reference spelt through
    an escape is checked with the real walk), and its documents are not walked."""
    from reconciler.config import documents

    real = documents.secret_ref_paths
    seen: list[tuple[str, int]] = []

    def watching(model: Any) -> Any:
        found = list(real(model))
        seen.append((model.name, len(found)))
        return iter(found)

    monkeypatch.setattr(documents, "secret_ref_paths", watching)
    files = [
        SourceFile(p.relative_to(EXAMPLE).as_posix(), p.read_bytes())
        for p in sorted(EXAMPLE.rglob("*.yaml"))
    ]
    escaped = (
        "apiVersion: flexctl/v1\nkind: Workspace\nname: escaped\nregion: aws-us-east-1\n"
        'notifications:\n  failure:\n    webhook: {enabled: true, url: {"\\x65nv": HOOK}}\n'
    )
    plain = "apiVersion: flexctl/v1\nkind: Workspace\nname: plain\nregion: aws-us-east-1\n"
    extra = [
        SourceFile("workspaces/escaped.yaml", escaped.encode()),
        SourceFile("workspaces/plain.yaml", plain.encode()),
    ]
    state = load_sources([*files, *extra])
    by_text = {f.display_path: documents.may_refer(f.data.decode()) for f in [*files, *extra]}
    assert not by_text["workspaces/plain.yaml"] and by_text["workspaces/escaped.yaml"]
    assert ("plain", 0) not in seen  # not walked
    assert ("escaped", 1) in seen  # the escape spells 'env': walked, and found
    hook = state.workspaces[[w.name for w in state.workspaces].index("escaped")]
    assert hook.notifications.failure is not None
    assert hook.notifications.failure.webhook is not None
    assert hook.notifications.failure.webhook.url is not None
    assert hook.notifications.failure.webhook.url.env == "HOOK"
    # every document not walked would have had none: walk them all with the real walk
    walked = {name for name, _ in seen}
    for document in (*state.workspaces, *state.regions, state.organization):
        if document.name not in walked:
            assert list(real(document)) == [], document.name


def test_the_digest_dumps_one_document_at_a_time() -> None:
    """Peak memory: the digest of many documents holds one dump at a time, not all of them
    (at 100,000 workspaces holding them all doubled the peak)."""
    import tracemalloc

    from reconciler.config.loader import digest

    state = load_directory(EXAMPLE)
    workspace = state.workspaces[0]
    models = [workspace.model_copy(update={"name": f"w{i:04d}"}) for i in range(2000)]
    tracemalloc.start()
    try:
        one = tracemalloc.get_traced_memory()[0]
        workspace.model_dump(mode="json", by_alias=True)
        tracemalloc.reset_peak()
        dumped = [m.model_dump(mode="json", by_alias=True) for m in models[:20]]
        twenty = tracemalloc.get_traced_memory()[1] - one
        del dumped
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        digest(models)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert twenty > 0
    assert peak < 25 * twenty  # 2,000 dumps held at once: 100 times twenty


def test_the_ascii_fast_paths_of_names_and_e_mails_refuse_what_the_character_checks_do() -> None:
    """Printable ASCII skips the per-character look of workspace names and e-mails; every
    other ASCII character (controls, DEL) still takes it and is refused."""
    import unicodedata

    from reconciler.config.models import _check_email, _check_workspace_name

    hidden = ("Cc", "Cf", "Zl", "Zp", "Co", "Cn")
    for code in range(128):
        char = chr(code)
        name = f"a{char}b"
        if unicodedata.category(char) in hidden:
            with pytest.raises(ValueError, match=f"character U\\+{code:04X}"):
                _check_workspace_name(name)
        else:
            assert _check_workspace_name(name) == name
        email = f"a{char}b@acme.example"
        if not char.isprintable():
            with pytest.raises(ValueError, match=f"U\\+{code:04X}"):
                _check_email(email)
