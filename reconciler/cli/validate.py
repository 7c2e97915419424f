"""``flexctl validate [CONFIG]``: load and validate the config repository, nothing else.

Exit 0 with a one-line summary when valid; exit 1 with every diagnostic otherwise. The
diagnostics are this command's output (stdout), not an error of the tool. Secret references
are not needed: the webhook URLs that can be read here (variable set, file present) are
checked against ``config.webhooks``; the rest are checked when a run resolves them. Every
data plane's folder is rendered in memory and what render would refuse is reported too
(``render.preflight``).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from reconciler.cli.common import add_config_argument, add_state_dir_argument
from reconciler.cli.loading import add_repo_arguments, load_config
from reconciler.config.desired import DesiredState
from reconciler.config.diagnostics import ConfigError
from reconciler.config.references import reference_problems
from reconciler.render.preflight import local_problems, local_warnings


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate", help="check the config repository (exit 0 valid, 1 invalid)"
    )
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_repo_arguments(parser)
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def counts(state: DesiredState) -> dict[str, int]:
    return {
        "organizations": 1,
        "regions": len(state.regions),
        "dataplanes": len(state.dataplanes),
        "workspaces": len(state.workspaces),
        "groups": len(state.groups),
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(state: DesiredState) -> str:
    return (
        f"valid: 1 organization, {_plural(len(state.regions), 'region')}, "
        f"{_plural(len(state.dataplanes), 'data plane')}, "
        f"{_plural(len(state.workspaces), 'workspace')}, "
        f"{_plural(len(state.groups), 'group')} (digest {state.digest[:12]}…)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_config(args)
        state = loaded.desired
        # The webhook URLs this machine can read are checked now, not first at plan time.
        problems = reference_problems(
            state, env=os.environ, base_dir=loaded.base_dir, missing_ok=True
        )
        # And what render would refuse (chart keys, types, merged values), in memory.
        problems += local_problems(state)
        if problems:
            raise ConfigError(problems)
    except ConfigError as exc:
        if args.output == "json":
            body = {"valid": False, "diagnostics": [d.as_json() for d in exc.diagnostics]}
            print(json.dumps(body, indent=2, sort_keys=True))
        else:
            print(exc.render())
        return 1
    warnings = local_warnings(state)
    if args.output == "json":
        body = {
            "valid": True,
            "digest": state.digest,
            "counts": counts(state),
            "warnings": [w.as_json() for w in warnings],
        }
        print(json.dumps(body, indent=2, sort_keys=True))
    else:
        for warning in warnings:
            print(warning.render())
        print(summary(state))
    return 0
