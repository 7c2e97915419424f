"""``flexctl plan``: show what apply would change, without changing anything.

Exit codes: 0 success (with ``--detailed-exitcode``: nothing to change, block or wait for),
1 error, or a plan apply would refuse (``--max-deletes`` and the other guards: the plan shows
the refusal), 2 changes, blocked changes (a data plane without stored credentials waiting for
``--rotate``, a delete waiting for ``--prune``) or pending grants (only with
``--detailed-exitcode``). ``--out plan.json`` saves the plan for ``apply``, with the options,
config location and state backend it was made with (``cli.saved``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from reconciler.cli.common import (
    add_config_argument,
    add_embedded_argument,
    add_state_dir_argument,
    add_timeout_argument,
)
from reconciler.cli.loading import Loaded, add_repo_arguments, load_config
from reconciler.cli.main import EXIT_CHANGES, EXIT_ERROR, EXIT_OK
from reconciler.cli.run import add_color_argument, announce_state, context, run_async, use_color
from reconciler.cli.saved import recorded
from reconciler.core.output import render
from reconciler.core.plan import Plan
from reconciler.core.policy import DEFAULT_MAX_DELETES
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.session import Connection, Prepared, RunContext, connect, prepare
from reconciler.errors import FlexctlError
from reconciler.render.preflight import preflight
from reconciler.statedir import StateDir, write_private
from reconciler.terminal import raw


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("plan", help="show the changes apply would make")
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_timeout_argument(parser)
    add_repo_arguments(parser)
    add_plan_arguments(parser)
    parser.add_argument("-o", "--output", choices=("text", "json", "markdown"), default="text")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PLAN.json",
        help="also save the plan as JSON, for `flexctl apply PLAN.json`",
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="with --repo: also list the documents changed since REF "
        "(a pull request's base) and flag drift the change does not explain",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when there are changes, 0 when there are none",
    )
    add_color_argument(parser)
    parser.set_defaults(func=run)


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="REGION/DATAPLANE",
        help="rotate this data plane's credentials, first step: a new data plane, its "
        "credentials delivered to the sink, the old one kept (its credentials still work) until "
        "`flexctl verify` sees the new ones accepted and a later apply deletes it; repeatable",
    )
    parser.add_argument(
        "--finish-rotation",
        action="append",
        default=[],
        metavar="REGION/DATAPLANE",
        help="end this data plane's rotation now: delete the old data plane even though "
        "`flexctl verify` has not seen the new credentials accepted; repeatable",
    )
    parser.add_argument(
        "--unprotect",
        action="append",
        default=[],
        metavar="KIND/NAME",
        help="let this run delete a protected object whose document is gone, e.g. "
        "workspace/old-team (still subject to --prune and the prune policy); repeatable",
    )
    parser.add_argument(
        "--allow-local-credentials",
        action="store_true",
        help="create data planes whose sink is file or env-file even in CI (CI set) or with "
        "a shared --state, where that file is lost with the runner",
    )
    parser.add_argument(
        "--prune",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="delete managed objects the config no longer declares, for the "
        "kinds the organization's prune policy allows (--no-prune: do not; the default)",
    )
    parser.add_argument(
        "--max-deletes",
        type=int,
        default=DEFAULT_MAX_DELETES,
        metavar="N",
        help=f"refuse plans deleting more objects (default {DEFAULT_MAX_DELETES}); the plan "
        "shows the refusal, apply enforces it",
    )


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_config(args)
        plan = make_plan(args, loaded)
        extra: dict[str, object] = {}
        if args.base:
            extra = pull_request_context(args, loaded, plan)
    except FlexctlError as exc:
        if args.output != "markdown":
            raise
        # The PR comment explains the red check: the diagnostics, as the error handler
        # would print them, in the comment (stdout); the error itself still goes to stderr.
        from reconciler.config.diagnostics import ConfigError
        from reconciler.core.output.markdown import render_failure

        failure = render_failure(exc.render(), config_error=isinstance(exc, ConfigError))
        sys.stdout.write(failure)
        raise
    text = render(plan, args.output, color=use_color(args) and args.output == "text", **extra)
    # A text plan escapes its own pieces and may carry colour codes; the other formats go
    # through the escaping stream (reconciler.terminal).
    out = raw(sys.stdout) if args.output == "text" else sys.stdout
    out.write(text if text.endswith("\n") else text + "\n")
    if args.out is not None:
        save_plan(plan, args.out)
    if plan.refusals:
        return EXIT_ERROR  # apply would refuse it: the plan says why (Refused section)
    if args.detailed_exitcode and plan.out_of_sync:
        return EXIT_CHANGES  # changes, blocked changes or pending grants
    return EXIT_OK


def make_plan(args: argparse.Namespace, loaded: Loaded) -> Plan:
    preflight(loaded.desired)  # what apply would refuse locally, before contacting anything
    ctx = context(args, loaded)
    announce_state(ctx)

    async def go() -> Plan:
        async with connect(loaded.desired, ctx) as conn:
            return (await prepare_from_args(conn, loaded, ctx, args)).plan

    # How it was made, so that `apply PLAN.json` applies it the same way (cli.saved).
    return replace(run_async(go()), **recorded(args, loaded, ctx.state))


async def prepare_from_args(
    conn: Connection, loaded: Loaded, ctx: RunContext, args: argparse.Namespace
) -> Prepared:
    """The plan options both `plan` and `apply` take (see add_plan_arguments)."""
    return await prepare(
        conn,
        loaded.desired,
        ctx,
        rotate=frozenset(args.rotate),
        prune=args.prune,
        unprotect=frozenset(args.unprotect),
        max_deletes=args.max_deletes,
        finish_rotation=frozenset(args.finish_rotation),
    )


def save_plan(plan: Plan, path: Path) -> None:
    # No secrets in a plan (digests only), but keep it private like everything else.
    write_private(path, json.dumps(plan.as_json(), indent=2, sort_keys=True) + "\n")


def pull_request_context(args: argparse.Namespace, loaded: Loaded, plan: Plan) -> dict[str, object]:
    """Documents the pull request changed (against the merge base, as GitHub shows them),
    and live drift on objects it does not touch: merging would overwrite that drift."""
    if not args.repo:
        raise FlexctlError("--base needs --repo (the repository holding both refs)")
    from reconciler.gitops.changes import unexplained_drift
    from reconciler.gitops.config import pull_request
    from reconciler.gitops.repo import open_source

    state = StateDir(args.state_dir).ensure()
    with open_source(args.repo, cache_dir=state.subdir("git")) as source:
        pr = pull_request(source, base=args.base, head=args.ref, subdir=args.repo_path or "")
    org = loaded.desired.organization.name
    drifted = [document_of(c.key, organization=org) for c in plan.drift()]
    return {
        "changed_documents": list(pr.changes),
        "unexplained_drift": unexplained_drift(pr.changes, drifted),
    }


def document_of(key: ResourceKey, *, organization: str) -> tuple[str, str]:
    """The document that declares a resource: permissions live in their workspace's access
    list, or the organisation's."""
    if key.kind is Kind.PERMISSION:
        scope = key.name.rpartition("/")[0]  # e-mails hold no "/", workspace names may
        if scope.startswith("workspace:"):
            return ("Workspace", scope.removeprefix("workspace:"))
        return ("Organization", organization)
    if key.kind is Kind.GROUP_MEMBER:
        return ("Group", key.name.rpartition("/")[0])
    if key.kind is Kind.GROUP_PERMISSION:
        return ("Group", key.name.rpartition("/group:")[2])
    return (key.kind.document_kind, key.name)
