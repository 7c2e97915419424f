"""The parallel reader (``config.parallel``): a forked worker's results are the sequential
path's, every failure falls back to the parent, and small or threaded runs never fork.

Every baseline is computed with the switch off (``FLEXCTL_PARSE_WORKERS=0``), so it cannot
fork too; every parallel run lowers ``MIN_BYTES`` and counts its forks, so it cannot quietly
run sequentially."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import parallel
from reconciler.config.desired import DesiredState
from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory
from reconciler.config.parsecache import ParseCache

from .conftest import BROKEN, EXAMPLE, GENERATED

WORKSPACE = """\
# workspace {n}
apiVersion: flexctl/v1
kind: Workspace
name: ws-{n:05d}
region: aws-us-east-1
classification: internal
notifications:
  failure:
    email: {{enabled: true}}
access:
  - user: user{n}@acme.example
    role: workspace_reader
"""


def _config(root: Path, *, files: int = 40, per_file: int = 5) -> Path:
    """The example plus ``files`` files of ``per_file`` workspaces each."""
    shutil.copytree(EXAMPLE, root)
    for f in range(files):
        docs = [WORKSPACE.format(n=f * per_file + d) for d in range(per_file)]
        (root / "workspaces" / f"gen-{f:03d}.yaml").write_text("---\n".join(docs))
    return root


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Parallel reading forced on (any size); the pids of the workers forked."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.delenv(parallel.ENV_WORKERS, raising=False)
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    yield pids
    for pid in pids:  # every worker was reaped: none is left as a zombie
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.fixture
def no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    def fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", fork)


def _sequential(root: Path, cache: ParseCache | None = None) -> DesiredState | ConfigError:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(parallel.ENV_WORKERS, "0")
        return _outcome(lambda: load_directory(root, cache=cache))


def _outcome(load: Callable[[], DesiredState]) -> DesiredState | ConfigError:
    try:
        return load()
    except ConfigError as error:
        return error


def _same(parallel_result: Any, sequential: Any) -> None:
    if isinstance(sequential, ConfigError):
        assert isinstance(parallel_result, ConfigError)
        assert [str(d) for d in parallel_result.diagnostics] == [
            str(d) for d in sequential.diagnostics
        ]
        return
    assert isinstance(parallel_result, DesiredState)
    assert parallel_result.digest == sequential.digest
    assert parallel_result == sequential
    for key, source in sequential.sources.items():
        other = parallel_result.sources[key]
        assert other.position == source.position
        assert dict(other.keys) == dict(source.keys)
        assert dict(other.values) == dict(source.values)


def test_same_state_as_sequential(tmp_path: Path, forks: list[int]) -> None:
    root = _config(tmp_path / "cfg")
    expected = _sequential(root)
    assert not forks
    state = load_directory(root)
    assert len(forks) == 1
    assert len(state.workspaces) == 203
    _same(state, expected)
    source = state.source("Workspace", "ws-00007")
    assert str(source.at("access", 0, "role")) == f"{root}/workspaces/gen-001.yaml:38:5"


def _break(root: Path) -> None:
    """Problems in many files, each kind read by another path (worker, parent, exact reader)."""
    gen = root / "workspaces"
    edits = {
        3: lambda t: t.replace("classification: internal", "classification: nope", 1),
        5: lambda t: t + "---\nkind: Workspace\nkind: Workspace\n",  # duplicate key: exact
        8: lambda t: t.replace("role: workspace_reader", "role: &a workspace_reader", 1),
        11: lambda t: t.replace("region: aws-us-east-1", "region: !custom x", 1),
        14: lambda t: t + "---\n[unclosed\n",  # a parse error
        17: lambda t: t.replace("name: ws-00085", "name: ws-00084", 1),  # a duplicate name
        20: lambda t: t.replace("kind: Workspace", "kind: Worksp", 1),
        23: lambda t: t.replace("user: user116@acme.example", "user: CHANGE-ME", 1),
    }
    for number, edit in edits.items():
        path = gen / f"gen-{number:03d}.yaml"
        path.write_text(edit(path.read_text()))
    (gen / "gen-026.yaml").write_bytes(b"name: \xff\xfe\n")
    (gen / "gen-029.yaml").write_bytes(b"kind: Workspace\x00\n")
    (gen / "gen-032.yaml").write_text("# " + "x" * 97 + "\n" * (11 * 1024))  # 1.1 MiB


def test_same_diagnostics_in_the_same_order(tmp_path: Path, forks: list[int]) -> None:
    root = _config(tmp_path / "cfg")
    _break(root)
    expected = _sequential(root)
    assert isinstance(expected, ConfigError)
    assert len(expected.diagnostics) >= 10
    _same(_outcome(lambda: load_directory(root)), expected)
    assert len(forks) == 1


CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_broken_corpus_as_sequential(
    case: str, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / case
    shutil.copytree(BROKEN / case, root, symlinks=True)
    if case in GENERATED:
        GENERATED[case](root)
    monkeypatch.chdir(root)
    expected = _sequential(Path("."))
    _same(_outcome(lambda: load_directory(Path("."))), expected)


def test_small_config_does_not_fork(no_fork: None) -> None:
    assert load_directory(EXAMPLE).organization.name == "acme"


def test_switch_off_does_not_fork(
    tmp_path: Path, no_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setenv(parallel.ENV_WORKERS, "0")
    assert len(load_directory(_config(tmp_path / "cfg")).workspaces) == 203


def test_threads_alive_do_not_fork(
    tmp_path: Path, no_fork: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.delenv(parallel.ENV_WORKERS, raising=False)
    root = _config(tmp_path / "cfg")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert len(load_directory(root).workspaces) == 203
    finally:
        stop.set()
        thread.join()


def _in_worker(monkeypatch: pytest.MonkeyPatch, act: Callable[[Any], Any]) -> None:
    """``values_of`` in the worker only (from its 10th file on) does ``act`` instead."""
    parent = os.getpid()
    real = parallel.values_of
    seen = [0]

    def values_of(source: Any) -> Any:
        if os.getpid() != parent:
            seen[0] += 1
            if seen[0] >= 10:
                return act(source)
        return real(source)

    monkeypatch.setattr(parallel, "values_of", values_of)


#: What goes wrong in the worker from its 10th file on: it dies mid-stream (the pipe ends
#: inside the stream), or it made values that neither orjson nor pickle can write.
FAILURES: dict[str, Callable[[Any], Any]] = {
    "dies": lambda source: os._exit(3),
    "unpicklable": lambda source: [(lambda: None, 0, 0)],
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_worker_failure_falls_back_to_the_parent(
    failure: str, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _config(tmp_path / "cfg")
    expected = _sequential(root)
    _in_worker(monkeypatch, FAILURES[failure])
    _same(load_directory(root), expected)
    assert len(forks) == 1


def test_interrupt_reaps_the_worker(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _config(tmp_path / "cfg")
    calls = [0]
    from reconciler.config import loader

    real = loader._load_document

    def interrupted(*args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        if calls[0] == 50:
            raise KeyboardInterrupt
        real(*args, **kwargs)

    monkeypatch.setattr(loader, "_load_document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_directory(root)
    assert len(forks) == 1  # and the fixture checks it was reaped


def test_cold_cache_is_filled_and_warm_cache_needs_no_worker(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _config(tmp_path / "cfg")
    expected = _sequential(root)
    cold = ParseCache(tmp_path / "cache")
    _same(load_directory(root, cache=cold), expected)
    assert len(forks) == 1
    assert cold.writes == 48  # every file: the example's 8 and the 40 made here
    warm = ParseCache(tmp_path / "cache")
    _same(load_directory(root, cache=warm), expected)
    assert (warm.hits, warm.writes, len(forks)) == (48, 0, 1)


EXOTIC = """\
values:
  infinite: -.inf
  huge: 123456789012345678901234567890
  tiny: 1.0e-300
  zero: -0.0
"""


def test_frames_write_every_value_back_exactly() -> None:
    text = "a: .nan\n" + EXOTIC
    values = parallel.values_of(parallel.SourceFile("x.yaml", text.encode()))
    assert values is not None
    how, body = parallel.encoded(values, finite=False)
    assert repr(parallel._decoded(how, body)[:2]) == repr((True, values))
    plain = [({"a": [1, 2.5, "x", None, True]}, 0, 0)]
    how, body = parallel.encoded(plain, finite=True)
    assert how == parallel._JSON  # the cheap encoding where it is exact
    assert parallel._decoded(how, body) == (True, [[{"a": [1, 2.5, "x", None, True]}, 0, 0]], body)


def test_values_json_cannot_write_as_sequential(tmp_path: Path, forks: list[int]) -> None:
    root = _config(tmp_path / "cfg")
    plane = root / "dataplanes" / "aws-us-east-1.yaml"
    plane.write_text(plane.read_text() + EXOTIC)
    expected = _sequential(root)
    state = load_directory(root)
    _same(state, expected)
    assert state.dataplanes[1].values["huge"] == 123456789012345678901234567890
    assert len(forks) == 1


def test_a_cold_cache_filled_through_the_worker_holds_the_parents_entries(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's JSON frames are stored as they came (no second dump in the parent): the
    entries are byte for byte those a parent that read every file itself writes."""
    root = _config(tmp_path / "cfg")
    passed: list[bool] = []
    real = ParseCache._store

    def store(self: ParseCache, entry: Path, values: Any, body: Any = None, **kw: Any) -> None:
        passed.append(body is not None)
        real(self, entry, values, body, **kw)

    monkeypatch.setattr(ParseCache, "_store", store)
    load_directory(root, cache=ParseCache(tmp_path / "through"))
    assert len(forks) == 1
    assert any(passed)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 40)  # every file read in the parent
    load_directory(root, cache=ParseCache(tmp_path / "alone"))
    assert len(forks) == 1

    def entries(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}

    assert len(entries(tmp_path / "through")) == 48
    assert entries(tmp_path / "through") == entries(tmp_path / "alone")


def test_floats_that_are_not_finite_survive_the_worker_and_the_cache(
    tmp_path: Path, forks: list[int]
) -> None:
    """A file whose only exotic values are floats orjson writes as null (no integer past 64
    bits to make orjson refuse it): its frame is not JSON, and it is not kept as JSON."""
    root = _config(tmp_path / "cfg")
    plane = root / "dataplanes" / "aws-us-east-1.yaml"
    plane.write_text(plane.read_text() + "values:\n  infinite: -.inf\n  big: 1e999\n")
    for n in range(0, 40, 3):  # several files, so the worker sends some of them
        path = root / "workspaces" / f"gen-{n:03d}.yaml"
        path.write_text(path.read_text().replace("workspace_reader", "workspace_reader\n  # .inf"))
    expected = _sequential(root)
    _same(load_directory(root), expected)
    cold = ParseCache(tmp_path / "cache")
    _same(load_directory(root, cache=cold), expected)
    warm = ParseCache(tmp_path / "cache")
    state = load_directory(root, cache=warm)
    _same(state, expected)
    assert isinstance(state, DesiredState)
    values = state.dataplanes[1].values
    assert values["infinite"] == float("-inf") and values["big"] == float("inf")
    assert warm.hits == 47 and len(forks) == 3


@pytest.mark.parametrize(
    ("text", "finite"), [("a: -.inf\n", False), ("a: 1e999\n", False), ("a: 1.5\n", True)]
)
def test_a_read_says_whether_its_floats_are_finite(text: str, finite: bool) -> None:
    values, seen_finite = parallel._counted(parallel.SourceFile("x.yaml", text.encode()))
    assert seen_finite is finite
    how, _ = parallel.encoded(values, finite=seen_finite)
    assert how == (parallel._JSON if finite else parallel._PICKLE)
