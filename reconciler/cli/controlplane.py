"""``flexctl controlplane serve | add-user | add-connection | status``: run and inspect the
embedded control plane.

``serve`` runs the same app that local mode uses in-process, on a socket, with optional fault
injection; it prints where the admin credentials file is, never the secret. ``add-user``
stands in for SSO, ``add-connection`` for a user building a connection in the UI. ``status``
prints each data plane's last token and heartbeat, read from the state directory's database
in-process (safe while a server runs on the same file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.cli.common import add_state_dir_argument
from reconciler.controlplane import ControlPlane, FaultConfig
from reconciler.controlplane.seed import SeedError
from reconciler.controlplane.server import CREDENTIALS_NAME, DB_NAME
from reconciler.statedir import StateDir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "controlplane",
        help="run or inspect the embedded control plane",
        description="The embedded control plane: Airbyte's public API subset over SQLite.",
    )
    commands = parser.add_subparsers(dest="controlplane_command", metavar="ACTION", required=True)

    serve = commands.add_parser("serve", help="serve the API on a socket until interrupted")
    _common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--token-ttl", type=int, default=900, help="token lifetime, seconds")
    faults = serve.add_argument_group("fault injection (off by default)")
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument("--latency-ms", type=float, default=0.0)
    faults.add_argument("--rate-429", type=float, default=0.0)
    faults.add_argument("--rate-500", type=float, default=0.0)
    faults.add_argument("--rate-503", type=float, default=0.0)
    faults.add_argument("--lost-write-rate", type=float, default=0.0)
    faults.add_argument("--lost-write-mode", choices=("500", "drop", "mixed"), default="mixed")
    serve.set_defaults(func=run_serve)

    add_user = commands.add_parser("add-user", help="add a user (stands in for SSO)")
    _common(add_user)
    add_user.add_argument("email")
    add_user.add_argument("--name")
    add_user.set_defaults(func=run_add_user)

    add_connection = commands.add_parser(
        "add-connection", help="add a connection to a workspace (stands in for the UI)"
    )
    _common(add_connection)
    add_connection.add_argument("workspace")
    add_connection.add_argument("name")
    add_connection.add_argument(
        "--streams",
        default="[]",
        help="JSON list of stream configurations (name, syncMode, cursorField, primaryKey, "
        "mappers), as the public API takes them",
    )
    add_connection.set_defaults(func=run_add_connection)

    status = commands.add_parser("status", help="data planes' last token and heartbeat")
    _common(status)
    status.set_defaults(func=run_status)


def _common(parser: argparse.ArgumentParser) -> None:
    add_state_dir_argument(parser)
    parser.add_argument(
        "--db", type=Path, help=f"database file (default: STATE_DIR/controlplane/{DB_NAME})"
    )
    parser.add_argument(
        "--organization-id",
        help="organisation id to create on first start (use the Organization document's, so "
        "a later plan finds it)",
    )


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """The database and, next to it, the admin credentials file."""
    if args.db is not None:
        db: Path = args.db
        return db, db.with_name(f"{db.stem}-{CREDENTIALS_NAME}")
    home = StateDir(args.state_dir).subdir("controlplane")
    return home / DB_NAME, home / CREDENTIALS_NAME


def _faults(args: argparse.Namespace) -> FaultConfig | None:
    config = FaultConfig(
        seed=args.fault_seed,
        latency_ms=args.latency_ms,
        rate_429=args.rate_429,
        rate_500=args.rate_500,
        rate_503=args.rate_503,
        lost_write_rate=args.lost_write_rate,
        lost_write_mode=args.lost_write_mode,
    )
    return (
        None
        if config == FaultConfig(seed=args.fault_seed, lost_write_mode=args.lost_write_mode)
        else config
    )


def run_serve(args: argparse.Namespace) -> int:
    db, credentials = _paths(args)
    try:
        faults = _faults(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with ControlPlane(
        db, organization_id=args.organization_id, token_ttl=args.token_ttl, faults=faults
    ) as plane:
        url = f"http://{_url_host(args.host)}:{args.port}/api/public/v1"
        creds = plane.bootstrap(credentials, url=url)
        print(f"flexctl control plane: {url} (also /v1)", file=sys.stderr)
        print(f"  database:          {db}", file=sys.stderr)
        print(
            f"  admin credentials: {credentials} (client id {creds.client_id}, "
            f"organization {creds.organization_id})",
            file=sys.stderr,
        )
        if faults is not None:
            print(f"  fault injection:   {faults}", file=sys.stderr)
        plane.serve(args.host, args.port)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run_add_user(args: argparse.Namespace) -> int:
    db, credentials = _paths(args)
    with ControlPlane(db, organization_id=args.organization_id) as plane:
        plane.bootstrap(credentials)  # the user joins the organisation, which must exist
        print(plane.add_user(args.email, args.name))
    return 0


def run_add_connection(args: argparse.Namespace) -> int:
    try:
        streams = json.loads(args.streams)
    except ValueError as exc:
        raise SeedError(f"--streams is not JSON: {exc}") from exc
    if not isinstance(streams, list):
        raise SeedError("--streams must be a JSON list")
    db, credentials = _paths(args)
    with ControlPlane(db, organization_id=args.organization_id) as plane:
        plane.bootstrap(credentials)
        print(plane.add_connection(args.workspace, args.name, streams))
    return 0


def run_status(args: argparse.Namespace) -> int:
    db, credentials = _paths(args)
    with ControlPlane(db, organization_id=args.organization_id) as plane:
        plane.bootstrap(credentials)
        rows = [("DATAPLANE", "NAME", "REGION", "ENABLED", "LAST TOKEN", "LAST HEARTBEAT")]
        rows += [
            (
                s.dataplane_id,
                s.name,
                s.region_name,
                "yes" if s.enabled else "no",
                s.last_token_at or "never",
                s.last_heartbeat_at or "never",
            )
            for s in plane.dataplane_status()
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if len(rows) == 1:
        print("(no data planes)")
    return 0
