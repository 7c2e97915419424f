"""``flexctl apply``: make the control plane match the config, then render the data-plane folders.

``apply [CONFIG]`` plans, shows the plan, asks for confirmation (unless ``--yes``) and
applies. ``apply PLAN.json`` applies a saved plan with the options, config and state it
recorded (``cli.saved``; a flag that contradicts them is refused), and only if the config
(and commit) and live state it was made from have not moved. Exit 0 when everything
converged, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.cli.common import (
    add_embedded_argument,
    add_state_dir_argument,
    add_timeout_argument,
    add_to_git_arguments,
)
from reconciler.cli.hydrating import cache_dir, target_from_args
from reconciler.cli.loading import Loaded, add_repo_arguments, load_config
from reconciler.cli.main import EXIT_ERROR, EXIT_OK
from reconciler.cli.plan import add_plan_arguments, prepare_from_args
from reconciler.cli.progress import Reporter
from reconciler.cli.run import add_color_argument, announce_state, context, run_async, use_color
from reconciler.cli.saved import (
    args_for_saved,
    fill_defaults,
    read_saved_plan,
    recorded,
    refuse_other_state,
    unset_defaults,
)
from reconciler.core.output import render
from reconciler.core.output.lines import not_done_lines
from reconciler.core.plan import Plan
from reconciler.engine.apply import ApplyResult, apply_prepared, check_saved_plan
from reconciler.engine.session import connect
from reconciler.errors import RefusedError
from reconciler.render.preflight import preflight
from reconciler.terminal import raw


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("apply", help="apply the config (or a saved plan)")
    parser.add_argument(
        "config",
        nargs="?",
        default=".",
        type=Path,
        metavar="CONFIG|PLAN.json",
        help="config directory (default: .) or a plan saved by `plan --out`, applied with the "
        "options, config and state it recorded (a planning flag given must agree with it)",
    )
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_timeout_argument(parser)
    add_repo_arguments(parser)
    add_plan_arguments(parser)
    unset_defaults(parser)  # with PLAN.json, a flag given must agree with the plan
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--render-out",
        type=Path,
        metavar="DIR",
        help="render the data-plane folders here after applying (default: <state-dir>/rendered)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another apply's state lock (default 0: refuse at once)",
    )
    add_to_git_arguments(parser)
    add_color_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    saved: Plan | None = None
    if args.config.suffix == ".json" and args.config.is_file():
        saved = read_saved_plan(args.config)
        args = args_for_saved(args, saved, os.environ)
    else:
        args = fill_defaults(args)
    target_from_args(args)  # a wrong --to-git/--branch is refused before anything is applied
    loaded = load_config(args)
    # Every local check, the rendered objects' schemas included, before the first request:
    # no partial apply because of a local error.
    preflight(loaded.desired, manifests=True)
    ctx = context(args, loaded)
    if saved is not None:
        refuse_other_state(saved, ctx.state)
    announce_state(ctx)
    reporter = Reporter()

    async def go() -> tuple[Plan, ApplyResult]:
        async with connect(loaded.desired, ctx) as conn:
            prepared = await prepare_from_args(conn, loaded, ctx, args)
            if saved is not None:
                check_saved_plan(saved, prepared.plan)
                # The plan applied is the reviewed one: same record, same digest (hydration).
                made: dict[str, Any] = {
                    "options": saved.options,
                    "config": saved.config,
                    "state": saved.state,
                }
            else:
                made = recorded(args, loaded, ctx.state)
            prepared = replace(prepared, plan=replace(prepared.plan, **made))
            raw(sys.stdout).write(render(prepared.plan, "text", color=use_color(args)))
            if not prepared.plan.has_changes and not prepared.unfinished:
                return prepared.plan, await apply_prepared(
                    conn, loaded.desired, prepared, ctx, max_deletes=args.max_deletes
                )
            if not args.yes and saved is None and not confirm():
                raise RefusedError("apply cancelled: nothing was changed")
            with reporter.track(len(prepared.plan.actionable)) as progress:
                return prepared.plan, await apply_prepared(
                    conn,
                    loaded.desired,
                    prepared,
                    ctx,
                    max_deletes=args.max_deletes,
                    progress=progress,
                )

    plan, result = run_async(go())
    return report(result, args, loaded, plan=plan)


def report(result: ApplyResult, args: argparse.Namespace, loaded: Loaded, *, plan: Plan) -> int:
    """The summary; exit 0 only when everything converged and nothing was left blocked or
    pending (the lines above it name what was not done)."""
    if result.lock_note:
        print(f"note: {result.lock_note}", file=sys.stderr)
    done = sum(1 for o in result.outcomes if o.ok)
    for outcome in result.failed:
        print(f"error: {outcome.error}", file=sys.stderr)
    target = target_from_args(args)
    if target is None or args.render_out is not None:
        render_after_apply(args, loaded)
    if target is not None and not result.failed:
        from reconciler.gitops.hydrate import hydrate_desired

        hydrated = hydrate_desired(
            target,
            loaded.desired,
            source=loaded.source,
            cache_dir=cache_dir(Path(args.state_dir)),
            plan_digest=plan.digest(),
        )
        print(f"Hydrated {hydrated.summary()}")
    elif target is not None:
        print(f"Not hydrated: the apply failed, {target.where()} is left as it was")
    adopted = f", {result.adopted} adopted" if result.adopted else ""
    if result.failed:
        print(
            f"Apply incomplete: {done} applied, {len(result.failed)} failed{adopted}. "
            "Run apply again to retry."
        )
        return EXIT_ERROR
    not_done = not_done_lines(plan)
    if not_done:
        print("Not done:")
        print("\n".join(f"  {line}" for line in not_done))
        print(
            f"Apply incomplete: {done} applied{adopted}; {len(plan.held)} blocked, "
            f"{len(plan.pending)} pending (not done, listed above)."
        )
        return EXIT_ERROR
    print(f"Apply complete: {done} applied{adopted}.")
    return EXIT_OK


def render_after_apply(args: argparse.Namespace, loaded: Loaded) -> None:
    from reconciler.render import render_all, write_tree

    out = args.render_out or Path(args.state_dir) / "rendered"
    files = render_all(loaded.desired)
    write_tree(out, files)
    print(f"Rendered {len({p.split('/')[0] for p in files})} data-plane folder(s) into {out}")


def confirm() -> bool:
    if not sys.stdin.isatty():
        raise RefusedError("apply needs confirmation: run it in a terminal or pass --yes")
    answer = input("Apply these changes? Only 'yes' is accepted: ")
    return answer.strip() == "yes"
