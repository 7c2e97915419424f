"""``flexctl verify``: do the delivered data-plane credentials work?

For each declared data plane (``engine.verify``): read its credentials from its sink (any
kind), check the stored id is the data plane's own, and ask the control plane for a token with
them, exactly as the chart's launcher does (``POST <airbyteUrl>/api/v1/dataplanes/token``).
Each is ok, not held (adopted with ``credentials: {adopt: existing}``: running with credentials
flexctl does not hold; not a failure), missing credentials, wrong data plane, rejected, not
created or error; an unreachable URL fails at once, named. A rotation whose new credentials
are accepted is recorded, so the next apply deletes the old data plane. With the embedded
control plane, also the last time each data plane checked in.
Exit 0 when all are ok or not held, 1 otherwise.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from reconciler.cli.common import (
    add_config_argument,
    add_embedded_argument,
    add_state_dir_argument,
    announce_target,
)
from reconciler.cli.loading import add_repo_arguments, load_config
from reconciler.cli.main import EXIT_ERROR, EXIT_OK
from reconciler.cli.run import context, run_async
from reconciler.engine.session import connect
from reconciler.engine.verify import NOT_HELD, OK, Verdict, check_all, record_verified


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify", help="check that delivered data-plane credentials work"
    )
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_repo_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_config(args)
    desired = loaded.desired
    # An unreachable URL is an answer here: fail at once, naming it, instead of retrying.
    ctx = replace(context(args, loaded), fail_fast=True)

    async def go() -> list[Verdict]:
        async with connect(desired, ctx) as conn:
            announce_target(conn.target)
            verdicts = await check_all(conn, desired, ctx)
            if conn.embedded is not None:
                seen = {
                    f"{s.region_name}/{s.name}".lower(): s
                    for s in conn.embedded.dataplane_status(conn.organization_id)
                }
                verdicts = [_with_last_seen(v, seen.get(v.dataplane.lower())) for v in verdicts]
            return verdicts

    verdicts = run_async(go())
    width = max([len(v.dataplane) for v in verdicts] + [9])
    print(f"{'DATAPLANE':<{width}}  {'STATUS':<19}  {'LAST SEEN':<27}  DETAIL")
    for v in sorted(verdicts, key=lambda v: v.dataplane):
        print(f"{v.dataplane:<{width}}  {v.status:<19}  {v.last_seen or '-':<27}  {v.detail}")
    for line in record_verified(ctx, verdicts):
        print(line)
    bad = [v for v in verdicts if v.status not in (OK, NOT_HELD)]
    held = sum(v.status == OK for v in verdicts)
    unheld = len(verdicts) - len(bad) - held
    print(
        f"{held} of {len(verdicts)} data plane(s) ok"
        + (f", {unheld} not held (adopted as they run)" if unheld else "")
    )
    return EXIT_ERROR if bad else EXIT_OK


def _with_last_seen(verdict: Verdict, status: object) -> Verdict:
    if status is None:
        return verdict
    seen = getattr(status, "last_heartbeat_at", None) or getattr(status, "last_token_at", None)
    return replace(verdict, last_seen=seen or "never")
