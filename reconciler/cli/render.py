"""``flexctl render [CONFIG] --out DIR [--check]``: write (or check) each data plane's folder.

Without ``--check`` the folders under DIR are brought up to date and a summary is printed;
with ``--check`` nothing is written and the exit code is 1 when DIR is stale (each file that
differs, is missing or is extra is listed), for CI. Refuses an ``--out`` that contains the
state directory: credentials must never end up next to what is committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reconciler.cli.common import add_config_argument, add_state_dir_argument
from reconciler.cli.loading import add_repo_arguments, load_config
from reconciler.errors import RefusedError
from reconciler.render import check_tree, render_all, write_tree


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "render",
        help="render Helm values and manifests per data plane into --out",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_repo_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write one sub-folder per data plane into",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when DIR differs from what would be rendered",
    )
    parser.set_defaults(func=run)


def refuse_state_dir_inside(out: Path, state_dir: Path) -> None:
    out_abs, state_abs = out.resolve(), state_dir.resolve()
    if state_abs == out_abs or out_abs in state_abs.parents:
        raise RefusedError(
            f"refusing to render into {out}: it contains the state directory {state_dir}, "
            "which holds credentials; choose another --out or --state-dir"
        )


def run(args: argparse.Namespace) -> int:
    refuse_state_dir_inside(args.out, args.state_dir)
    desired = load_config(args).desired
    files = render_all(desired)
    folders = len({rel.split("/", 1)[0] for rel in files})
    if args.check:
        diff = check_tree(args.out, files)
        if diff.stale:
            print(f"{args.out} is stale; run `flexctl render --out {args.out}`:")
            for line in diff.lines():
                print(f"  {line}")
            return 1
        print(f"{args.out} is up to date ({folders} data plane folder(s))")
        return 0
    report = write_tree(args.out, files)
    print(
        f"rendered {folders} data plane folder(s) into {args.out}: "
        f"{len(report.written)} file(s) written, {len(report.removed)} removed"
    )
    for rel in report.removed:
        print(f"  removed: {rel}")
    for rel in report.kept:
        print(f"  not flexctl's, left alone: {rel}")
    return 0
