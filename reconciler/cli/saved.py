"""Saved plans: what ``plan --out PLAN.json`` records about how the plan was made, and the
arguments ``apply PLAN.json`` takes from it.

A saved plan records (``core.plan.Plan.options``, ``config``, ``state``):

- the planning options: ``--prune``, ``--max-deletes``, ``--rotate``, ``--finish-rotation``,
  ``--unprotect``, ``--allow-local-credentials``, ``--embedded``;
- where the config came from: the directory as an absolute path, or the repository (a local
  path made absolute, a URL with its credentials redacted), the ref as given, the commit it
  resolved to and the folder (``--path``);
- the state backend: its URL (credentials redacted) and the absolute state directory.

``apply PLAN.json`` applies with exactly those, from any working directory. A flag given
anyway must say what the plan says; one that contradicts it is refused before anything is
loaded, naming the flag and the plan's value (the reviewer approved that plan, not another).
``--ref`` may name the commit to apply (a CI job passes the merged branch): the commit it
resolves to must be the plan's (``engine.apply.check_saved_plan``). ``--repo`` may repeat the
repository with its credentials (the plan holds it redacted).

Must not: talk to a control plane or read the config (``cli.apply`` does both).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.cli.loading import Loaded, absolute_repo
from reconciler.core.plan import PLAN_FORMAT_VERSION, Plan
from reconciler.core.policy import DEFAULT_MAX_DELETES
from reconciler.core.resources import JSON
from reconciler.errors import FlexctlError, RefusedError
from reconciler.redact import redact_userinfo
from reconciler.state.url import parse_state_url
from reconciler.statedir import StateDir

#: Planning options: argparse dest -> (plan key, flag, default). ``apply`` parses them with
#: no default (None: not given), so a flag given on the command line can be told from none.
PLANNING: dict[str, tuple[str, str, Any]] = {
    "prune": ("prune", "--prune", False),
    "max_deletes": ("maxDeletes", "--max-deletes", DEFAULT_MAX_DELETES),
    "rotate": ("rotate", "--rotate", []),
    "finish_rotation": ("finishRotation", "--finish-rotation", []),
    "unprotect": ("unprotect", "--unprotect", []),
    "allow_local_credentials": ("allowLocalCredentials", "--allow-local-credentials", False),
    "embedded": ("embedded", "--embedded", False),
}
#: Where the config and state come from: argparse dest -> default.
WHERE: dict[str, Any] = {"state_dir": Path(".flexctl"), "ref": "HEAD", "repo_path": ""}


def unset_defaults(parser: argparse.ArgumentParser) -> None:
    """Parse the planning and source flags of ``apply`` without defaults (``fill_defaults``
    puts them back when there is no saved plan)."""
    parser.set_defaults(**dict.fromkeys([*PLANNING, *WHERE]))


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with every flag that was not given at its usual default."""
    values = vars(args).copy()
    defaults = {dest: default for dest, (_, _, default) in PLANNING.items()} | WHERE
    for dest, default in defaults.items():
        if values.get(dest) is None:
            values[dest] = list(default) if isinstance(default, list) else default
    return argparse.Namespace(**values)


def recorded(args: argparse.Namespace, loaded: Loaded, state: StateDir) -> dict[str, Any]:
    """What a plan made with ``args`` records: ``Plan.options``, ``config`` and ``state``."""
    options: dict[str, JSON] = {}
    for dest, (key, _, _) in PLANNING.items():
        value = getattr(args, dest)
        options[key] = sorted(set(value)) if isinstance(value, list) else value
    source = loaded.source
    if "sha" in source:
        config = {
            "repo": source["repo"],
            "ref": str(args.ref),
            "commit": source["sha"],
            "subdir": str(args.repo_path or "").strip("/"),
        }
    else:
        config = {"path": source["path"]}
    url = state.backend.url if state.backend is not None else parse_state_url("local")
    shown = str(url)
    if url.scheme == "local" and url.location:
        shown = str(Path(url.location).resolve())  # a state path works from any directory
    return {
        "options": options,
        "config": config,
        "state": {"url": shown, "dir": str(state.root.resolve())},
    }


def read_saved_plan(path: Path) -> Plan:
    """The plan saved at ``path``; refuses one saved by another flexctl version, or one that
    does not record how it was made (nothing would say which options to apply it with)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FlexctlError(f"{path}: not a flexctl plan ({exc})") from exc
    version = data.get("formatVersion") if isinstance(data, dict) else None
    if isinstance(version, int) and version < PLAN_FORMAT_VERSION:
        raise FlexctlError(
            f"{path}: saved by an older flexctl (plan formatVersion {version}), which did not "
            "record the options the plan was made with (--prune, --max-deletes, ...); make "
            f"the plan again with this flexctl: flexctl plan ... --out {path}"
        )
    if isinstance(version, int) and version > PLAN_FORMAT_VERSION:
        raise FlexctlError(
            f"{path}: saved by a newer flexctl (plan formatVersion {version}; this one reads "
            f"{PLAN_FORMAT_VERSION}): apply it with the flexctl that made it"
        )
    try:
        plan = Plan.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise FlexctlError(f"{path}: not a flexctl plan ({exc})") from exc
    if not plan.options or not plan.config or not plan.state:
        raise FlexctlError(
            f"{path}: the plan does not record how it was made (options, config, state): "
            "only a plan saved by `flexctl plan --out` can be applied"
        )
    return plan


def args_for_saved(
    args: argparse.Namespace, saved: Plan, env: Mapping[str, str]
) -> argparse.Namespace:
    """The arguments to apply ``saved`` with: everything the plan recorded, with the flags
    given on the command line checked against it (``RefusedError`` naming each one that
    contradicts the plan)."""
    problems = _contradictions(args, saved)
    if problems:
        raise RefusedError(
            "refusing the saved plan: "
            + "; ".join(problems)
            + ". apply PLAN.json applies the plan as it was made: drop the flag, or make a new "
            "plan with it and review that one."
        )
    values = vars(args).copy()
    for dest, (key, _, _) in PLANNING.items():
        value = saved.options[key]
        values[dest] = list(value) if isinstance(value, list) else value
    config = saved.config
    if "path" in config:
        values.update(config=Path(config["path"]), repo=None, ref="HEAD", repo_path="")
    else:
        values.update(
            # --repo repeats the repository with its credentials: the plan holds it redacted.
            repo=args.repo or config["repo"],
            # --ref names the commit to apply: it must resolve to the plan's (checked later).
            ref=args.ref or config["commit"],
            repo_path=config.get("subdir", ""),
        )
    values["state_dir"] = args.state_dir or _state_dir(saved)
    if not args.state and not env.get("FLEXCTL_STATE") and _reusable(saved.state["url"]):
        values["state"] = saved.state["url"]
    return argparse.Namespace(**values)


def refuse_other_state(saved: Plan, state: StateDir) -> None:
    """The state backend this run chose must be the one the plan read."""
    url = state.backend.url if state.backend is not None else parse_state_url("local")
    chosen = str(url)
    if url.scheme == "local" and url.location:
        chosen = str(Path(url.location).resolve())
    if chosen != saved.state["url"]:
        where = f" ({url.origin})" if url.origin != "default" else ""
        raise RefusedError(
            f"refusing the saved plan: it was made with the state {saved.state['url']}, this "
            f"run uses {chosen}{where}. Apply it with the state it was made with."
        )


def _contradictions(args: argparse.Namespace, saved: Plan) -> list[str]:
    problems = []
    for dest, (key, flag, _) in PLANNING.items():
        given, planned = getattr(args, dest), saved.options.get(key)
        if given is None:
            continue
        if isinstance(planned, list):
            if sorted(set(given)) != sorted(planned):
                shown = " ".join(f"{flag} {v}" for v in given)
                made = " ".join(f"{flag} {v}" for v in planned) or f"no {flag}"
                problems.append(f"{shown} contradicts the plan, made with {made}")
        elif given != planned:
            problems.append(_flag_problem(flag, given, planned))
    config = saved.config
    if args.repo is not None:
        if "path" in config:
            problems.append(
                f"--repo contradicts the plan, made from the directory {config['path']}"
            )
        elif redact_userinfo(absolute_repo(args.repo)) != config["repo"]:
            problems.append(
                f"--repo {redact_userinfo(args.repo)} contradicts the plan, made from "
                f"{config['repo']}"
            )
    if args.ref is not None and "path" in config:
        problems.append(
            f"--ref {args.ref} contradicts the plan, made from the directory {config['path']}"
        )
    if args.repo_path is not None and args.repo_path.strip("/") != config.get("subdir", ""):
        made = f"--path {config['subdir']}" if config.get("subdir") else "no --path"
        problems.append(f"--path {args.repo_path} contradicts the plan, made with {made}")
    if (
        args.state_dir is not None
        and _local(saved.state["url"])
        and str(Path(args.state_dir).resolve()) != saved.state["dir"]
    ):
        problems.append(
            f"--state-dir {args.state_dir} contradicts the plan, made with the state directory "
            f"{saved.state['dir']} (its state is local: it lives there)"
        )
    return problems


def _flag_problem(flag: str, given: object, planned: object) -> str:
    if isinstance(given, bool):
        said = flag if given else f"--no-{flag.removeprefix('--')}"
        made = f"with {flag}" if planned else f"without {flag}"
        return f"{said} contradicts the plan, made {made}"
    return f"{flag} {given} contradicts the plan, made with {flag} {planned}"


def _state_dir(saved: Plan) -> Path:
    # A local state lives in the plan's state directory; a shared one only caches there, and
    # that directory may be another runner's: use this run's default.
    if not _local(saved.state["url"]):
        return Path(WHERE["state_dir"])
    recorded_dir = Path(saved.state["dir"])
    if recorded_dir.is_relative_to(Path.cwd()):
        return recorded_dir.relative_to(Path.cwd())  # as it was likely typed: `.flexctl`
    return recorded_dir


def _local(url: str) -> bool:
    return parse_state_url(url, origin="the saved plan's state").scheme == "local"


def _reusable(url: str) -> bool:
    """A recorded state URL apply can pass on as ``--state``: not the default, and not one
    whose credentials were redacted (the config's ``state.url`` or FLEXCTL_STATE has them)."""
    return url != "local" and "***" not in url
