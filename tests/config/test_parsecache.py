"""The parse cache (``config.parsecache``): a file read back is a file parsed.

What a cached load gives (values, digest, positions) is a parsed load's; what cannot be kept
exactly is not kept; a damaged entry is a miss; the cache never fails a run, never holds a
resolved secret, and is private. The broken-config corpus runs through it too
(``test_broken.py``, ``cached``).
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.config import parsecache, yamlio
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory
from reconciler.config.parsecache import MAGIC, ParseCache, cache_from_env
from reconciler.config.yamlio import read_documents

from .conftest import EXAMPLE

ORG = """\
apiVersion: flexctl/v1
kind: Organization
name: acme
organizationId: 00000000-0000-0000-0000-00000000a001
airbyteUrl: https://airbyte.acme.example
"""


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


def test_example_read_back_is_the_example_parsed(tmp_path: Path) -> None:
    parsed = load_directory(EXAMPLE)
    cache = ParseCache(tmp_path / "cache")
    cold = load_directory(EXAMPLE, cache=cache)
    files = len(list(EXAMPLE.rglob("*.yaml")))
    assert (cache.writes, cache.hits) == (files, 0)
    warm_cache = ParseCache(tmp_path / "cache")
    warm = load_directory(EXAMPLE, cache=warm_cache)
    assert (warm_cache.hits, warm_cache.writes) == (files, 0)
    assert cold.digest == warm.digest == parsed.digest
    assert warm.workspaces == parsed.workspaces
    assert warm.dataplanes == parsed.dataplanes
    # Positions come from the text, read when asked: the same line and column.
    for key, source in parsed.sources.items():
        assert str(warm.sources[key].position) == str(source.position)
        assert {p: str(warm.sources[key].at(*p)) for p in source.keys} == {
            p: str(source.at(*p)) for p in source.keys
        }


@pytest.mark.parametrize(
    "value",
    [
        "1.5",
        "-0.0",
        "1e308",
        "5e-324",
        "0.1",
        "9223372036854775807",
        "18446744073709551615",
        "0x1F",
        "0o17",
        "true",
        "~",
        "'quoted: ünïcødé ☃'",
        '"tab\\there"',
        "[1, [2, {a: b}], null]",
        "{x: 1.0, y: 1, z: true}",
    ],
)
def test_values_read_back_exactly(tmp_path: Path, value: str) -> None:
    text = f"a: {value}\nb:\n  - {value}\n---\n---\nc: {{d: {value}}}\n"
    parsed = read_documents(text)
    ParseCache(tmp_path).read_documents(text, text.encode())
    cache = ParseCache(tmp_path)
    back = cache.read_documents(text, text.encode())
    assert cache.hits == 1
    assert [(d.data, d.line, d.column) for d in back] == [
        (d.data, d.line, d.column) for d in parsed
    ]
    # Same types too (1 == 1.0 == True in Python): repr tells them apart.
    assert repr([d.data for d in back]) == repr([d.data for d in parsed])


@pytest.mark.parametrize(
    "value",
    [".inf", "-.Inf", ".NaN", "1e999", "-2e400", "1" + "0" * 400 + ".0", str(2**70), str(-(2**64))],
)
def test_values_orjson_cannot_keep_are_parsed_every_time(tmp_path: Path, value: str) -> None:
    text = f"a: {value}\n"
    parsed = read_documents(text)
    for _ in range(2):
        cache = ParseCache(tmp_path)
        back = cache.read_documents(text, text.encode())
        assert (cache.hits, cache.writes, cache.misses) == (0, 0, 1)
        assert repr(back[0].data) == repr(parsed[0].data)
    assert _entries(tmp_path) == []


def test_a_file_the_exact_reader_reads_is_not_kept(tmp_path: Path) -> None:
    text = "a: 1\na: 2\n"  # a duplicate key: the exact reader reports it
    cache = ParseCache(tmp_path)
    documents = cache.read_documents(text, text.encode())
    assert documents[0].problems and cache.misses == 1
    assert _entries(tmp_path) == []


def test_an_edited_file_is_read_as_edited(tmp_path: Path) -> None:
    before, after = "a: 1\n", "a: 2\n"
    ParseCache(tmp_path).read_documents(before, before.encode())
    cache = ParseCache(tmp_path)
    assert cache.read_documents(after, after.encode())[0].data == {"a": 2}
    assert (cache.hits, cache.writes) == (0, 1)
    assert len(_entries(tmp_path)) == 2


def test_the_key_covers_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another reader (another flexctl, another PyYAML) never reads this one's entries."""
    text = "a: 1\n"
    ParseCache(tmp_path).read_documents(text, text.encode())
    parsecache._key_prefix.cache_clear()
    monkeypatch.setattr("reconciler.__version__", "99.0.0")
    try:
        cache = ParseCache(tmp_path)
        cache.read_documents(text, text.encode())
        assert (cache.hits, cache.writes) == (0, 1)
    finally:
        parsecache._key_prefix.cache_clear()


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[: len(blob) // 2],
        lambda blob: b"",
        lambda blob: b"not an entry at all",
        lambda blob: MAGIC + b'{"a": 1}',
        lambda blob: MAGIC + b'[[{"a": 1}, "1", 0]]',
        lambda blob: MAGIC + b"[[1, 2]]",
        lambda blob: b"\xff\xfe" + blob,
    ],
    ids=["truncated", "empty", "foreign", "not-a-list", "bad-line", "short", "prefixed"],
)
def test_a_damaged_entry_is_a_miss_and_is_written_again(tmp_path: Path, damage: object) -> None:
    text = "a: 1\nb: [x, y]\n"
    ParseCache(tmp_path).read_documents(text, text.encode())
    (entry,) = _entries(tmp_path)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))  # type: ignore[operator]
    cache = ParseCache(tmp_path)
    assert cache.read_documents(text, text.encode())[0].data == {"a": 1, "b": ["x", "y"]}
    assert (cache.hits, cache.writes) == (0, 1)
    assert entry.read_bytes() == good


def test_a_cache_that_cannot_be_written_never_fails_a_run(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way")
    cache = ParseCache(blocked / "cache")  # its parent is a file: mkdir fails
    desired = load_directory(EXAMPLE, cache=cache)
    assert desired.digest == load_directory(EXAMPLE).digest
    assert cache.writes == 0 and cache.hits == 0


def test_the_cache_is_private(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    load_directory(EXAMPLE, cache=ParseCache(root))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for entry in _entries(root):
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_diagnostics_from_a_read_back_file_point_where_parsing_does(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "org.yaml").write_text(ORG)
    (config / "ws.yaml").write_text(
        textwrap.dedent(
            """\
            apiVersion: flexctl/v1
            kind: Workspace
            name: analytics
            region: nowhere
            access:
              - user: someone@acme.example
                role: workspace_wizard
            """
        )
    )
    with pytest.raises(ConfigError) as parsed:
        load_directory(config)
    root = tmp_path / "cache"
    for _ in range(2):
        cache = ParseCache(root)
        with pytest.raises(ConfigError) as cached:
            load_directory(config, cache=cache)
        assert cached.value.render() == parsed.value.render()
    assert cache.hits == 2
    assert "ws.yaml:7:" in parsed.value.render()


def test_a_resolved_secret_never_reaches_the_cache(tmp_path: Path) -> None:
    """Through the CLI, as a user runs it (validate, then a plan that resolves every
    reference): the cache holds the references, never their values."""
    canary_env, canary_file = "canary-env-7d1f0c2a9b", "canary-file-5e3b8a61c4"
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE, config)
    (config / "webhook-secret").write_text(f"https://hooks.example.invalid/{canary_file}\n")
    marketing = config / "workspaces" / "marketing-eu.yaml"
    text = marketing.read_text()
    webhook = "    webhook: {enabled: true, url: {file: webhook-secret}}\n"
    marketing.write_text(text.replace("  syncDisabled:\n", webhook + "  syncDisabled:\n", 1))
    assert webhook in marketing.read_text()
    cache_dir = tmp_path / "cache"
    env = {
        **os.environ,
        "FLEXCTL_CACHE_DIR": str(cache_dir),
        "US_ANALYTICS_SLACK_WEBHOOK": f"https://hooks.example.invalid/{canary_env}",
    }
    commands = [
        ["validate", str(config)],
        ["plan", str(config), "--embedded", "--state-dir", str(tmp_path / "state")],
        ["plan", str(config), "--embedded", "--state-dir", str(tmp_path / "state")],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    entries = _entries(cache_dir)
    assert len(entries) == len(list(config.rglob("*.yaml")))
    for entry in entries:
        blob = entry.read_bytes()
        assert canary_env.encode() not in blob and canary_file.encode() not in blob
    assert any(b"webhook-secret" in entry.read_bytes() for entry in entries)


def test_runs_at_once_share_one_cache(tmp_path: Path) -> None:
    """Several processes filling one empty cache together: every run loads, every entry is
    whole (written to a temporary file, then renamed)."""
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "FLEXCTL_CACHE_DIR": str(cache_dir)}
    env["US_ANALYTICS_SLACK_WEBHOOK"] = "https://hooks.example.invalid/x"
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "reconciler", "validate", str(EXAMPLE)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]
    cache = ParseCache(cache_dir)
    load_directory(EXAMPLE, cache=cache)
    assert cache.hits == len(list(EXAMPLE.rglob("*.yaml"))) and cache.writes == 0


def test_trim_keeps_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "MAX_ENTRIES", 3)
    for index in range(5):
        text = f"a: {index}\n"
        cache = ParseCache(tmp_path)
        cache.read_documents(text, text.encode())
        entry = max(_entries(tmp_path), key=lambda p: p.stat().st_mtime_ns)
        os.utime(entry, (1_000_000 + index, 1_000_000 + index))
        cache.finish()
    stale = tmp_path / ".tmp-left-by-a-kill"
    stale.write_bytes(b"partial")
    os.utime(stale, (1_000, 1_000))
    fresh = tmp_path / ".tmp-being-written"
    fresh.write_bytes(b"partial")
    cache = ParseCache(tmp_path)
    cache.read_documents("a: 5\n", b"a: 5\n")
    cache.finish()
    kept = _entries(tmp_path)
    assert len(kept) == 3
    assert not stale.exists() and fresh.exists()
    back = ParseCache(tmp_path)
    for index in (4, 5):  # the newest were kept
        back.read_documents(f"a: {index}\n", f"a: {index}\n".encode())
    assert back.hits == 2


def test_where_the_environment_puts_it(tmp_path: Path) -> None:
    home = Path.home()
    assert cache_from_env({}).root == home / ".cache" / "flexctl" / "parsed"  # type: ignore[union-attr]
    xdg = cache_from_env({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg is not None and xdg.root == tmp_path / "flexctl" / "parsed"
    chosen = cache_from_env({"XDG_CACHE_HOME": "/elsewhere", "FLEXCTL_CACHE_DIR": str(tmp_path)})
    assert chosen is not None and chosen.root == tmp_path
    assert cache_from_env({"FLEXCTL_NO_CACHE": "1", "FLEXCTL_CACHE_DIR": str(tmp_path)}) is None
    assert cache_from_env({"FLEXCTL_NO_CACHE": "0"}) is not None


@settings(max_examples=400)
@example("1e400")
@example("1.e400")
@example(".5e999")
@example("-1.5E+308")
@example("9" * 309)
@example("1" + "0" * 250 + "e99")
@example(".inf")
@example("-.Inf")
@example(".NaN")
@example("1e308")
@given(st.one_of(st.from_regex(yamlio._FLOAT_RE, fullmatch=True), st.text(max_size=12)))
def test_the_count_moves_for_every_float_that_is_not_finite(text: str) -> None:
    """``yamlio.not_finite_count`` is what keeps a value orjson would write as null out of
    the cache and the worker's JSON frames: it moves exactly when the resolver makes a float
    that is not finite."""
    before = yamlio.not_finite_count()
    value = yamlio.resolve_plain(text)
    moved = yamlio.not_finite_count() - before
    assert moved == (1 if isinstance(value, float) and not math.isfinite(value) else 0)


def test_the_count_is_per_thread() -> None:
    import threading

    before = yamlio.not_finite_count()
    done = threading.Thread(target=lambda: read_documents("a: [.inf, .nan]\n"))
    done.start()
    done.join()
    assert yamlio.not_finite_count() == before
    read_documents("a: [.inf, 1e999, 2.5]\n")
    assert yamlio.not_finite_count() == before + 2


@pytest.mark.parametrize("name", ["workspace-100", "eu-e-123", "4fe0-e+100", "1e99", "12.5e-30"])
def test_a_file_of_finite_values_is_stored_without_a_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """No second orjson read to compare when the read made only finite floats (names with an
    ``e`` before digits once sent every file that way)."""
    text = f"a: {name}\nb: [{name}]\n"
    reads: list[bytes] = []
    real = parsecache.orjson.loads

    def loads(body: Any) -> Any:
        reads.append(bytes(body))
        return real(body)

    monkeypatch.setattr(parsecache.orjson, "loads", loads)
    cache = ParseCache(tmp_path)
    cache.read_documents(text, text.encode())
    assert (cache.writes, reads) == (1, [])
    back = ParseCache(tmp_path)
    assert repr(back.read_documents(text, text.encode())[0].data) == repr(
        read_documents(text)[0].data
    )
    assert back.hits == 1
