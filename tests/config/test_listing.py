"""The config directory's listing (issue 17 items 5 and 8): nothing is skipped silently.

An unreadable folder or file is an error (a skipped folder reads as deleted documents, and
prune deletes what it declared); a symbolic link is followed inside the config root only.
Unreadable paths need a user that permissions apply to: as root, the check runs in a child
process as ``nobody``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory

from .conftest import EXAMPLE

NOBODY = 65534


@pytest.fixture
def shared_copy() -> Iterator[Path]:
    """A copy of the example that another user can traverse (pytest's tmp_path is 0700)."""
    top = Path(tempfile.mkdtemp(prefix="flexctl-listing-"))
    os.chmod(top, 0o755)
    config = top / "flex-config"
    shutil.copytree(EXAMPLE, config)
    for path in [config, *config.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    try:
        yield config
    finally:
        for path in [config, *config.rglob("*")]:
            os.chmod(path, 0o755)
        shutil.rmtree(top)


def _load_as_unprivileged(config: Path) -> str:
    """What ``load_directory(config)`` raised, rendered (``ConfigError``) or by type (anything
    else: a crash). As root, in a forked child that has become ``nobody``: root reads
    everything, and the interpreter under /root is out of nobody's reach for a subprocess."""
    if os.geteuid() != 0:
        return _load(config)
    # Load once here: codecs and modules imported lazily live under /root, out of the child's reach.
    assert _load(EXAMPLE) == "loaded"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(write_end, _load(config).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(pid, 0)
    return text


def _load(config: Path) -> str:
    try:
        load_directory(config)
    except ConfigError as exc:
        return exc.render()
    except Exception as exc:
        return f"CRASH {type(exc).__name__}: {exc}"
    return "loaded"


def test_unreadable_folder_and_file_are_errors_not_skipped(shared_copy: Path) -> None:
    os.chmod(shared_copy / "workspaces", 0)
    os.chmod(shared_copy / "regions" / "aws-ap-southeast-2.yaml", 0)
    shown = _load_as_unprivileged(shared_copy)
    assert f"{shared_copy}/workspaces: error: cannot read directory: Permission denied" in shown
    assert (
        f"{shared_copy}/regions/aws-ap-southeast-2.yaml: error: file cannot be read: "
        "Permission denied"
    ) in shown


def test_unreadable_config_file_is_an_error_not_a_crash(shared_copy: Path) -> None:
    os.chmod(shared_copy / "organization.yaml", 0)
    shown = _load_as_unprivileged(shared_copy)
    assert shown.startswith(
        f"{shared_copy}/organization.yaml: error: file cannot be read: Permission denied\n"
    ), shown


def test_links_inside_the_root_are_followed_once(example_copy: Path) -> None:
    before = load_directory(example_copy)
    (example_copy / "workspaces").rename(example_copy / "all-workspaces")
    (example_copy / "workspaces").symlink_to("all-workspaces")
    (example_copy / "org.yaml").symlink_to("organization.yaml")
    after = load_directory(example_copy)
    assert after.digest == before.digest
    assert [w.name for w in after.workspaces] == [w.name for w in before.workspaces]
