"""``flexctl verify``: do the delivered data-plane credentials work?

For each declared data plane: read its credentials from its sink and ask the control
plane for a token with them, exactly as the chart's launcher does
(``POST <airbyteUrl>/api/v1/dataplanes/token``). Each is ok, missing credentials, or
rejected. With the embedded control plane, also the last time each data plane checked in.
Exit 0 when all are ok, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from reconciler.cli.common import (
    add_config_argument,
    add_embedded_argument,
    add_state_dir_argument,
    announce_target,
)
from reconciler.cli.loading import add_repo_arguments, load_config
from reconciler.cli.main import EXIT_ERROR, EXIT_OK
from reconciler.cli.run import context, run_async
from reconciler.config.models import DataPlane
from reconciler.engine.session import Connection, connect, sinks_for
from reconciler.errors import FlexctlError


@dataclass(frozen=True)
class Verdict:
    dataplane: str
    status: str  # ok | missing credentials | rejected | error
    detail: str = ""
    last_seen: str = ""


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
    ctx = context(args, loaded)
    make_sink = sinks_for(desired, ctx)

    async def check(conn: Connection, dp: DataPlane) -> Verdict:
        label = f"{dp.region}/{dp.name}"
        try:
            creds = await asyncio.to_thread(make_sink(dp).read)
            if creds is None:
                return Verdict(
                    label, "missing credentials", f"nothing stored in {make_sink(dp).describe()}"
                )
            accepted = await conn.client.dataplane_token(
                conn.dataplane_token_url,
                client_id=creds.client_id,
                client_secret=creds.client_secret,
            )
        except FlexctlError as exc:
            return Verdict(label, "error", str(exc))
        if not accepted:
            return Verdict(label, "rejected", "the control plane refused the stored credentials")
        return Verdict(label, "ok", f"dataplane {creds.dataplane_id}")

    async def go() -> list[Verdict]:
        async with connect(desired, ctx) as conn:
            announce_target(conn.target)
            verdicts = list(await asyncio.gather(*(check(conn, dp) for dp in desired.dataplanes)))
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
    bad = [v for v in verdicts if v.status != "ok"]
    print(f"{len(verdicts) - len(bad)} of {len(verdicts)} data plane(s) ok")
    return EXIT_ERROR if bad else EXIT_OK


def _with_last_seen(verdict: Verdict, status: object) -> Verdict:
    if status is None:
        return verdict
    seen = getattr(status, "last_heartbeat_at", None) or getattr(status, "last_token_at", None)
    return Verdict(verdict.dataplane, verdict.status, verdict.detail, seen or "never")
