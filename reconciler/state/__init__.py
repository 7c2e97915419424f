"""Where flexctl keeps what it knows: the state backend (local directory, S3, a git ref).

    from reconciler.state import open_backend, is_shared, select_state_url

``select_state_url`` applies the precedence (``--state`` > ``FLEXCTL_STATE`` > the
Organization's ``state:`` block > local); ``open_backend`` builds the backend for a URL;
``backend_of(state_dir)`` is the backend a run attached to its StateDir (local when none);
``is_shared(url)`` tells whether the state lives off this machine (s3, git), for callers that
must not keep things only locally when runners share state (credential sinks).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from reconciler.state.base import FORMAT_VERSION, ConflictError, Document, StateBackend
from reconciler.state.url import StateUrl, is_shared, parse_state_url, select_state_url
from reconciler.statedir import StateDir

__all__ = [
    "FORMAT_VERSION",
    "ConflictError",
    "Document",
    "StateBackend",
    "StateUrl",
    "backend_of",
    "is_shared",
    "open_backend",
    "parse_state_url",
    "select_state_url",
]


def open_backend(url: StateUrl, *, state_dir: Path, env: Mapping[str, str]) -> StateBackend:
    """The backend for ``url``; ``state_dir`` is the local working directory (and the local
    backend's home when the URL names no other directory)."""
    if url.scheme == "s3":
        from reconciler.state.s3 import S3Backend

        return S3Backend(url, env=env)
    if url.scheme == "git":
        from reconciler.state.gitref import GitRefBackend

        digest = hashlib.sha256(f"{url.location}#{url.path}".encode()).hexdigest()[:12]
        return GitRefBackend(url, cache_dir=state_dir / "cache" / f"state-git-{digest}", env=env)
    from reconciler.state.local import LocalBackend

    return LocalBackend(Path(url.location) if url.location else state_dir, url=url)


def backend_of(state: StateDir) -> StateBackend:
    """The backend attached to ``state`` by the command that built it; else its directory."""
    if state.backend is not None:
        return state.backend
    from reconciler.state.local import LocalBackend

    return LocalBackend(state.root)
