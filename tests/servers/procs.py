"""Start a server process on a free loopback port and wait until it answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str:
    """The binary next to this interpreter (the venv's bin/), else on PATH; skip if absent."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"SKIPPED LOUDLY: `{name}` is not installed (pip install -e '.[dev]')")
    return found


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(
    argv: Sequence[str],
    *,
    url: str,
    probe: str,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Server:
    """Run ``argv``; poll ``url + probe`` until any HTTP answer arrives."""
    with log.open("wb") as handle:  # the child keeps its own descriptor
        process = subprocess.Popen(
            list(argv),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url + probe, timeout=2):
                return Server(url, process, log)
        except urllib.error.HTTPError:
            return Server(url, process, log)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{argv[0]} did not answer within {timeout}s:\n{log.read_text()}")
