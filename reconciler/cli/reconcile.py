"""``flexctl reconcile``: the scheduled job. Fetch a ref, load, plan, and report or heal drift.

    flexctl reconcile --repo URL|PATH [--ref main] [--path SUBDIR] (--interval S | --once)
                      [--mode report|heal] [--metrics-port N | --metrics-file PATH]
                      [--metrics-push URL]
                      [--webhook-url-env NAME]
                      [--webhook-format generic|slack|teams] [-o text|json]
                      [--history N] [--state-dir DIR]

Each cycle prints its outcome: a summary line and one indented line per drifted, pending,
blocked or failed object (``-o json``: one JSON object per cycle and line, as in the status
file).

What a cycle does to the control plane is the engine's: ``reconciler.engine.cycle.build_cycle(
args, mode)`` returns the cycle function (``gitops.loop.CycleFunction``). ``args.stop`` is the
``threading.Event`` that SIGTERM and SIGINT set; the engine checks it between changes and
returns after the change in flight. The loop around it (status, metrics, webhook, last good
commit) is ``gitops.loop``.

Exit codes: ``--once --mode report``: 0 in sync, 2 drift, 1 failed. ``--once --mode heal``:
0 converged, 1 failed. A fetch failure is a failed cycle (1) even when the last good commit was
used. A loop ends 0 on SIGTERM.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, cast

from reconciler.cli.common import (
    add_embedded_argument,
    add_state_dir_argument,
    add_to_git_arguments,
    announce_target,
)
from reconciler.cli.hydrating import target_from_args
from reconciler.config.webhooks import webhook_url_problem
from reconciler.errors import FlexctlError
from reconciler.gitops.lastgood import LastGoodStore
from reconciler.gitops.loop import CycleFunction, run_loop
from reconciler.gitops.metrics import Metrics
from reconciler.gitops.notify import Notifier
from reconciler.gitops.outcome import CycleOutcome
from reconciler.gitops.repo import open_source
from reconciler.gitops.status import DEFAULT_HISTORY, StatusStore
from reconciler.gitops.webhook_body import FORMATS
from reconciler.state import open_backend, select_state_url
from reconciler.statedir import StateDir

#: ``build_cycle(args, mode) -> CycleFunction``: how the engine makes a cycle for these arguments.
BuildCycle = Callable[[argparse.Namespace, str], CycleFunction]
ENGINE_MODULE = "reconciler.engine.cycle"


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    build_cycle: BuildCycle | None = None,
) -> None:
    parser = subparsers.add_parser(
        "reconcile",
        help="fetch a Git ref and report or heal drift, once or on an interval",
        description="Fetch a Git ref, load and plan it against the control plane; in heal mode "
        "apply the plan. Each cycle writes <state-dir>/reconcile/status.json.",
    )
    parser.add_argument("--repo", required=True, metavar="URL|PATH", help="config repository")
    parser.add_argument("--ref", default="main", help="branch, tag or commit (default: main)")
    parser.add_argument(
        "--path", default="", metavar="SUBDIR", help="folder of the config in the repository"
    )
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--interval", type=_seconds, metavar="S", help="run a cycle every S seconds")
    when.add_argument("--once", action="store_true", help="run one cycle and exit")
    parser.add_argument(
        "--mode",
        choices=("report", "heal"),
        default="report",
        help="report: change nothing, exit 2 on drift (with --once); heal: apply the plan, "
        "pruning only as the organisation's prune policy allows (default: report)",
    )
    parser.add_argument("--metrics-port", type=int, metavar="N", help="serve Prometheus metrics")
    parser.add_argument(
        "--metrics-addr",
        default="127.0.0.1",
        metavar="ADDR",
        help="address of the metrics endpoint (default: 127.0.0.1, this machine only; "
        "--metrics-addr 0.0.0.0 lets a Prometheus in the cluster scrape it)",
    )
    parser.add_argument(
        "--metrics-file",
        type=Path,
        metavar="PATH",
        help="write the metrics in the Prometheus text format to PATH after every cycle "
        "(node-exporter textfile collector; for --once)",
    )
    parser.add_argument(
        "--metrics-push",
        metavar="URL",
        help="push the metrics to this Prometheus Pushgateway after every cycle (job "
        "flexctl-reconcile; for --once in a CronJob, where nothing stays up to be scraped)",
    )
    parser.add_argument(
        "--webhook-url-env",
        metavar="NAME",
        help="environment variable holding a webhook URL to POST drift and failures to",
    )
    parser.add_argument(
        "--webhook-format",
        choices=FORMATS,
        default="generic",
        help="webhook body: generic (flexctl JSON), slack (text and blocks) or teams "
        "(Adaptive Card) (default: generic)",
    )
    parser.add_argument(
        "-o",
        "--output",
        choices=("text", "json"),
        default="text",
        help="each cycle's outcome as text lines or as one JSON object per line (default: text)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=DEFAULT_HISTORY,
        metavar="N",
        help=f"outcomes kept in the status file (default: {DEFAULT_HISTORY})",
    )
    parser.add_argument(
        "--allow-local-credentials",
        action="store_true",
        help="in heal mode, create data planes whose sink is file or env-file although this "
        "run is not interactive (the file is written in this pod's state directory)",
    )
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_to_git_arguments(parser)
    parser.set_defaults(func=lambda args: run(args, build_cycle=build_cycle))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


def import_build_cycle(module: str = ENGINE_MODULE) -> BuildCycle:
    """The engine's ``build_cycle``; a clear error (exit 1) when the engine is not there."""
    try:
        engine = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or not module.startswith(e.name):
            raise
        raise FlexctlError(f"reconcile needs the engine ({module} is not available)") from e
    return cast(BuildCycle, engine.build_cycle)


def run(args: argparse.Namespace, *, build_cycle: BuildCycle | None = None) -> int:
    if args.history < 1:
        raise FlexctlError("--history must be at least 1")
    if target_from_args(args) is not None and args.mode != "heal":
        raise FlexctlError("--to-git needs --mode heal (report mode changes nothing)")
    stop = threading.Event()
    args.stop = stop
    cycle = (build_cycle or import_build_cycle())(args, args.mode)
    state = StateDir(args.state_dir).ensure()
    # The status and last good commit live where --state / FLEXCTL_STATE say (the config's
    # state: block is read per cycle, for the inventory, journal, lock and audit).
    url = select_state_url(flag=args.state, env=os.environ, configured=None)
    backend = open_backend(url, state_dir=state.root, env=os.environ)
    notifier = _notifier(args)
    wanted = any(
        value is not None for value in (args.metrics_port, args.metrics_file, args.metrics_push)
    )
    metrics = Metrics() if wanted else None
    status = StatusStore(backend, history=args.history)
    if metrics is not None:
        try:
            metrics.seed(last_success=status.last_success())
        except FlexctlError as e:  # the loop reports a broken status and starts a new one
            logging.getLogger(__name__).warning("%s", e)
    named: list[Mapping[str, str]] = []
    try:
        if metrics is not None and args.metrics_port is not None:
            port = metrics.serve(args.metrics_port, addr=args.metrics_addr)
            print(f"metrics on {args.metrics_addr}:{port}/metrics", file=sys.stderr)
        with open_source(args.repo, cache_dir=state.path("git")) as source, _stop_on_signals(stop):
            last = run_loop(
                source=source,
                ref=args.ref,
                path=args.path,
                cycle=cycle,
                interval=None if args.once else args.interval,
                status=status,
                last_good=LastGoodStore(backend),
                metrics=metrics,
                notifier=notifier,
                stop=stop,
                on_outcome=lambda outcome: _after_cycle(outcome, args, metrics, named),
            )
    finally:
        if metrics is not None:
            metrics.close()
        if notifier is not None:
            notifier.close()
    if not args.once:
        return 0  # the loop only ends on a signal: a clean stop
    return exit_code(last, mode=args.mode)


def _after_cycle(
    outcome: CycleOutcome,
    args: argparse.Namespace,
    metrics: Metrics | None,
    named: list[Mapping[str, str]],
) -> None:
    if args.output != "json" and outcome.target and (not named or named[-1] != outcome.target):
        # The control plane, once at the top (again only if a later cycle talks to another).
        announce_target(outcome.target)
        named.append(outcome.target)
    _print(outcome, args.output)
    if metrics is None:
        return
    try:  # like the status file: never the reason a loop stops
        if args.metrics_file is not None:
            metrics.write_textfile(args.metrics_file)
        if args.metrics_push is not None:
            metrics.push(args.metrics_push)
    except FlexctlError as e:
        logging.getLogger(__name__).warning("%s", e)


def _print(outcome: CycleOutcome, output: str) -> None:
    if output == "json":
        print(json.dumps(outcome.as_json(), sort_keys=True), flush=True)
    else:
        print("\n".join(outcome.lines()), flush=True)


def exit_code(outcome: CycleOutcome | None, *, mode: str) -> int:
    if outcome is None:
        return 0  # stopped before the first cycle
    if outcome.result == "failed":
        return 1
    if mode == "report" and outcome.result == "drift":
        return 2
    return 0


def _notifier(args: argparse.Namespace) -> Notifier | None:
    name: str | None = args.webhook_url_env
    if name is None:
        return None
    url = os.environ.get(name, "")
    if not url:
        raise FlexctlError(f"--webhook-url-env: the environment variable {name} is not set")
    problem = webhook_url_problem(url)
    if problem is not None:
        # Never echo the value: a webhook URL is a secret.
        raise FlexctlError(f"--webhook-url-env: the value of {name} {problem}")
    return Notifier(url, ref=args.ref, style=args.webhook_format)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (Kubernetes) and SIGINT set ``stop`` instead of killing the process mid-change."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        print(
            f"received {signal.Signals(signum).name}: finishing the cycle in flight",
            file=sys.stderr,
        )
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
