"""Helpers shared by the commands that talk to a control plane (plan, apply, import, verify)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from reconciler.cli.loading import Loaded
from reconciler.cli.status import refresh_status
from reconciler.config.models import StateConfig
from reconciler.engine.session import RunContext
from reconciler.state import open_backend, select_state_url
from reconciler.statedir import StateDir

T = TypeVar("T")


def context(args: argparse.Namespace, loaded: Loaded) -> RunContext:
    env = dict(os.environ)
    state = state_dir(args, loaded.desired.organization.state, env)
    source = dict(loaded.source)
    if state.backend is not None and state.backend.shared:
        source["state"] = str(state.backend.url)  # plans, PR comments and audit say where
    return RunContext(
        state=state,
        env=env,
        lock_timeout=float(getattr(args, "lock_timeout", 0.0) or 0.0),
        base_dir=loaded.base_dir,
        source=source,
        timeout=getattr(args, "timeout", 3600.0),
        embedded=bool(getattr(args, "embedded", False)),
        interactive=sys.stdin.isatty(),
        allow_local_credentials=bool(getattr(args, "allow_local_credentials", False)),
        refreshing=refresh_status,
    )


def announce_state(ctx: RunContext) -> None:
    """The line plan and apply print first (stderr) when the state is not the default local
    directory: which backend this run reads and locks."""
    backend = ctx.state.backend
    if backend is not None and (backend.shared or backend.url.origin != "default"):
        print(f"State: {backend.describe()}", file=sys.stderr)


def state_dir(
    args: argparse.Namespace, configured: StateConfig | None, env: Mapping[str, str]
) -> StateDir:
    """The state directory with the backend this run uses attached (``reconciler.state``)."""
    root = Path(args.state_dir)
    url = select_state_url(
        flag=getattr(args, "state", None),
        env=env,
        configured=configured.url if configured else None,
    )
    return StateDir(root, backend=open_backend(url, state_dir=root, env=env)).ensure()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def use_color(args: argparse.Namespace) -> bool:
    choice = getattr(args, "color", "auto")
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def add_color_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text plan (default: when stdout is a terminal)",
    )
