"""Progress while applying: a bar on a terminal, one plain line per change in CI logs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.core.plan import Change
from reconciler.terminal import escape_controls, raw


class Reporter:
    @contextmanager
    def track(self, total: int) -> Iterator[Callable[[Change, str], None]]:
        if not sys.stderr.isatty():
            yield _plain
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
            # rich writes its own control codes: the raw stream, with the data escaped here
            console=Console(file=raw(sys.stderr)),
        ) as bar:
            task = bar.add_task("applying", total=total)

            def update(change: Change, status: str) -> None:
                if status in ("done", "failed"):
                    bar.advance(task)
                if status == "failed":
                    bar.console.print(
                        f"failed: {change.action.value} {escape_controls(str(change.key))}",
                        markup=False,
                        highlight=False,
                    )

            yield update


def _plain(change: Change, status: str) -> None:
    if status in ("done", "failed"):
        sym = change.action.symbol
        print(f"{sym} {change.key}: {status}", file=sys.stderr, flush=True)
