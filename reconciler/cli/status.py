"""The status line while the live control plane is read: on a terminal only.

    reading the control plane: 120 workspace pages, 4 permission lists, 3 other requests…

A refresh of a large organisation takes a while (a workspace page per 100 workspaces), and a
silent terminal looks hung. The line counts the requests sent (``api.calls.listening``) and
disappears when the refresh ends. Never in CI or when stderr is not a terminal: logs get
nothing from it. rich is imported only when the line is shown.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from reconciler.api.calls import listening

#: Endpoint -> what the line calls its requests (singular, plural).
_NAMES = {
    "GET /workspaces": ("workspace page", "workspace pages"),
    "GET /permissions": ("permission list", "permission lists"),
}


class StatusCounts:
    """Requests by what they read, and the line that says so. Pure; thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, endpoint: str) -> None:
        with self._lock:
            self._counts[endpoint if endpoint in _NAMES else "other"] += 1

    def line(self) -> str:
        with self._lock:
            counts = dict(self._counts)
        parts = []
        for endpoint, (one, many) in _NAMES.items():
            n = counts.get(endpoint, 0)
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        other = counts.get("other", 0)
        if other:
            parts.append(f"{other} other request{'' if other == 1 else 's'}")
        said = f": {', '.join(parts)}" if parts else ""
        return f"reading the control plane{said}…"


def wanted(env: Mapping[str, str] | None = None) -> bool:
    """A person watches: stderr is a terminal and this is not CI."""
    env = os.environ if env is None else env
    return sys.stderr.isatty() and not env.get("CI")


@contextmanager
def refresh_status() -> Iterator[None]:
    """The status line for the length of the block (nothing when not ``wanted()``)."""
    if not wanted():
        yield
        return
    from rich.console import Console

    from reconciler.terminal import raw

    counts = StatusCounts()
    console = Console(file=raw(sys.stderr), stderr=True)
    with console.status(counts.line(), spinner="dots") as status:

        def update(endpoint: str) -> None:
            counts.add(endpoint)
            status.update(counts.line())

        with listening(update):
            yield
