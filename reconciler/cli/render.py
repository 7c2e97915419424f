"""``flexctl render [CONFIG] (--out DIR | --to-git URL --branch B) [--check]``: write (or check)
each data plane's folder.

Without ``--check`` the folders under DIR are brought up to date and a summary is printed;
with ``--to-git`` they are committed to branch B instead (``gitops.hydrate``: one commit, none
when nothing changed). With ``--check`` nothing is written and the exit code is 1 when DIR (or
the branch) is stale; what would change is printed as a unified diff, for CI. Refuses an
``--out`` that contains the state directory: credentials must never end up next to what is
committed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import add_config_argument, add_state_dir_argument, add_to_git_arguments
from reconciler.cli.hydrating import cache_dir, render_for, target_from_args
from reconciler.cli.loading import Loaded, add_repo_arguments, load_config
from reconciler.errors import FlexctlError, RefusedError
from reconciler.render import check_tree, unified_diff, write_tree
from reconciler.render.preflight import local_warnings

if TYPE_CHECKING:
    from reconciler.gitops.hydrate import GitTarget


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
        metavar="DIR",
        help="folder to write one sub-folder per data plane into (or use --to-git)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a unified diff and exit 1 when DIR (or the --to-git branch) "
        "differs from what would be rendered",
    )
    add_to_git_arguments(parser)
    parser.set_defaults(func=run)


def refuse_state_dir_inside(out: Path, state_dir: Path) -> None:
    out_abs, state_abs = out.resolve(), state_dir.resolve()
    if state_abs == out_abs or out_abs in state_abs.parents:
        raise RefusedError(
            f"refusing to render into {out}: it contains the state directory {state_dir}, "
            "which holds credentials; choose another --out or --state-dir"
        )


def run(args: argparse.Namespace) -> int:
    target = target_from_args(args)
    if (args.out is None) == (target is None):
        raise FlexctlError("render needs exactly one of --out DIR and --to-git URL --branch B")
    if args.out is not None:
        refuse_state_dir_inside(args.out, args.state_dir)
    loaded = load_config(args)
    files = render_for(loaded.desired, target)
    for warning in local_warnings(loaded.desired):
        print(warning.render(), file=sys.stderr)
    folders = len({rel.split("/", 1)[0] for rel in files})
    if target is not None:
        return _to_git(args, target, loaded, files, folders)
    if args.check:
        diff = check_tree(args.out, files)
        if diff.stale:
            print(f"{args.out} is stale; run `flexctl render --out {args.out}`:")
            for line in diff.lines():
                print(f"  {line}")
            sys.stdout.writelines(unified_diff(args.out, files, diff))
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


def _to_git(
    args: argparse.Namespace,
    target: GitTarget,
    loaded: Loaded,
    files: dict[str, str],
    folders: int,
) -> int:
    from reconciler.gitops.hydrate import check_branch, hydrate_desired

    if args.check:
        diff = check_branch(target, files, cache_dir=cache_dir(args.state_dir))
        if diff:
            print(f"{target.where()} is stale:")
            sys.stdout.writelines(diff)
            return 1
        print(f"{target.where()} is up to date ({folders} data plane folder(s))")
        return 0
    result = hydrate_desired(
        target, loaded.desired, source=loaded.source, cache_dir=cache_dir(args.state_dir)
    )
    print(result.summary())
    return 0
