"""``flexctl schema``: write or check the JSON Schemas generated from the document models.

``--write`` regenerates ``schemas/``; ``--check`` exits 1 when a committed file is stale (CI);
with neither, the combined schema is printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.config.schema import COMBINED, build_schemas, stale_schemas, write_schemas


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema", help="write or check the JSON Schemas of the config documents"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="regenerate the schema files")
    action.add_argument(
        "--check", action="store_true", help="exit 1 when the schema files are stale"
    )
    parser.add_argument(
        "--dir", type=Path, default=Path("schemas"), help="schema directory (default: schemas)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    directory: Path = args.dir
    if args.write:
        changed = write_schemas(directory)
        for name in changed:
            print(f"wrote {directory / name}")
        if not changed:
            print(f"{directory}: up to date")
        return 0
    if args.check:
        stale = stale_schemas(directory)
        for name in stale:
            print(f"{directory / name}: stale (run `flexctl schema --write`)", file=sys.stderr)
        if stale:
            return 1
        print(f"{directory}: up to date")
        return 0
    sys.stdout.write(build_schemas()[COMBINED])
    return 0
