"""Helpers shared by the commands that talk to a control plane (plan, apply, import, verify)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from reconciler.cli.loading import Loaded
from reconciler.engine.session import RunContext
from reconciler.statedir import StateDir

T = TypeVar("T")


def context(args: argparse.Namespace, loaded: Loaded) -> RunContext:
    return RunContext(
        state=StateDir(args.state_dir).ensure(),
        env=dict(os.environ),
        # `{file: ...}` references are relative to the config directory (its repository
        # root), wherever flexctl runs from; a config read from Git has no directory here.
        base_dir=Path(loaded.source["path"]) if "path" in loaded.source else Path.cwd(),
        source=loaded.source,
    )


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
