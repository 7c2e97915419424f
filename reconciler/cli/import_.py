"""``flexctl import``: write YAML documents for what exists live, so it can be adopted.

With no config (CONFIG holds no YAML), the Organization is built from the API: its id (the
application's user's only organisation, or ``--organization-id``) and access list; what the
API cannot tell (``airbyteUrl``, the secrets manager, the data planes' storage) is a
placeholder. With a config, its Organization is written again with its access list as it
is live, and a live object the config declares keeps its document's own fields. Everything
else is read from the control plane in one refresh and written under
``--out``, one file per object (workspaces by slug), with the JSON Schema the modelines
point at (relative paths; ``--schema-url`` points them at a URL instead and writes none).

Every value import could not read or had to guess is a placeholder under a ``# CHANGE-ME:
why`` comment (``core.adoption``), which ``validate`` reports as "fill in" at
``file:line:col``. Running data planes are adopted with ``credentials: {adopt: existing}``.
Webhook URLs are secrets: written as ``{env: ...}`` references, never as values.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

from reconciler.cli.common import (
    add_config_argument,
    add_embedded_argument,
    add_state_dir_argument,
    add_timeout_argument,
    announce_target,
)
from reconciler.cli.loading import Loaded, add_repo_arguments, load_config, own_folders
from reconciler.cli.main import EXIT_OK
from reconciler.cli.run import context, run_async
from reconciler.config.desired import DesiredState
from reconciler.config.models import Organization
from reconciler.config.placeholders import placeholders
from reconciler.config.schema import COMBINED, combined_schema, render
from reconciler.config.sources import scan_directory
from reconciler.config.yamlio import dump_yaml_commented
from reconciler.core.adoption import (
    ImportedDocument,
    documents_for,
    group_documents,
    new_organization,
    organization_from_config,
)
from reconciler.engine.live import Refresh, fetch_live
from reconciler.engine.session import connect
from reconciler.errors import FlexctlError

SCHEMA_DIR = "schemas"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import", help="write YAML for what exists live (adoption)")
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_timeout_argument(parser)
    add_repo_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("imported"),
        help="directory to write documents into (default: ./imported)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="also import this user's permissions (repeatable; an unknown user is an "
        "error); users named in the config's access lists are always included",
    )
    parser.add_argument(
        "--all-users",
        action="store_true",
        help="import every user's organisation and workspace roles",
    )
    parser.add_argument(
        "--organization-id",
        metavar="UUID",
        help="with no config: the organisation to import (default: the application's "
        "user's only one)",
    )
    parser.add_argument(
        "--schema-url",
        metavar="URL",
        help="point the modelines at this JSON Schema URL instead of writing "
        f"{SCHEMA_DIR}/{COMBINED} into --out",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fresh = _no_config(args)
    loaded = _bare(args) if fresh else load_config(args)
    desired = loaded.desired
    ctx = context(args, loaded)
    named = {u.lower() for u in args.user}
    grants = [*desired.organization.access, *(g for ws in desired.workspaces for g in ws.access)]
    users = {g.user for g in grants if g.user is not None}

    async def go() -> tuple[Refresh, dict[str, str], str | None]:
        async with connect(desired, ctx) as conn:
            announce_target(conn.target)
            with ctx.refreshing():
                everyone: set[str] = set()
                if args.all_users:
                    listed = await conn.client.list_users(conn.organization_id)
                    everyone = {str(u["email"]).lower() for u in listed}
                refresh = await fetch_live(
                    conn.client,
                    organization_id=conn.organization_id,
                    users=users | named | everyone,
                    groups=True,
                )
                names = {
                    str(o["organizationId"]): str(o.get("organizationName", ""))
                    for o in await conn.client.list_organizations()
                }
            url = conn.target.get("url") if conn.target.get("controlPlane") == "remote" else None
            return refresh, names, url

    refresh, org_names, api_url = run_async(go())
    _refuse_unknown(named, refresh)
    snapshot = refresh.snapshot
    if refresh.unattributed:
        # Another organisation's workspaces look the same in GET /workspaces: never import one.
        names = ", ".join(sorted(str(w["name"]) for w in refresh.unattributed)[:10])
        print(
            f"warning: {len(refresh.unattributed)} visible workspace(s) not imported: nothing "
            f"proves they belong to organisation {snapshot.organization_id} (the "
            f"application's user is in several organisations): {names}",
            file=sys.stderr,
        )
    documents = documents_for(snapshot, None if fresh else desired)
    documents.update(group_documents(snapshot))
    documents["organization.yaml"] = (
        new_organization(
            snapshot, name=org_names.get(snapshot.organization_id, ""), api_url=api_url
        )
        if fresh
        else organization_from_config(desired.organization, snapshot)
    )
    written = write_documents(args.out, documents, force=args.force, schema_url=args.schema_url)
    print(f"Imported {written} document(s) into {args.out}.")
    for line in left_to_do(args.out, documents, env=ctx.env):
        print(line)
    return EXIT_OK


def _no_config(args: argparse.Namespace) -> bool:
    """No ``--repo`` and no YAML in CONFIG (or no CONFIG at all): build the Organization."""
    if getattr(args, "repo", None):
        return False
    path = Path(args.config)
    if not path.exists():
        return True
    return path.is_dir() and not scan_directory(path, exclude=own_folders(args)).files


def _bare(args: argparse.Namespace) -> Loaded:
    """What connect needs of a config that does not exist yet: the environment (or
    ``--embedded``) says where the control plane is; the organisation is found there."""
    # Not validated: its organisation id may be unknown yet (connect then finds it).
    org = Organization.model_construct(  # type: ignore[call-arg]
        name="import",
        organization_id=_organization_id(args.organization_id),  # type: ignore[arg-type]
        airbyte_url="",
    )
    desired = DesiredState(
        organization=org, regions=(), dataplanes=(), workspaces=(), sources={}, digest=""
    )
    return Loaded(desired=desired, source={"path": str(Path.cwd())})


def _organization_id(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError as e:
        raise FlexctlError(f"--organization-id: {value!r} is not a UUID") from e


def _refuse_unknown(named: set[str], refresh: Refresh) -> None:
    unknown = sorted(named & set(refresh.unknown_users))
    if not unknown:
        return
    problems = []
    for email in unknown:
        close = difflib.get_close_matches(email, refresh.org_emails, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"--user {email}: no such user in organisation{hint}")
    raise FlexctlError(
        "; ".join(problems) + f" {refresh.snapshot.organization_id}; nothing was written"
    )


def write_documents(
    out: Path,
    documents: dict[str, ImportedDocument],
    *,
    force: bool,
    schema_url: str | None = None,
) -> int:
    schema_file = None if schema_url else f"{SCHEMA_DIR}/{COMBINED}"
    paths = [*documents, *([schema_file] if schema_file else [])]
    existing = [p for p in paths if (out / p).exists()]
    if existing and not force:
        raise FlexctlError(
            f"{out / existing[0]} already exists (and {len(existing) - 1} more); "
            "pass --force to overwrite"
        )
    for rel, doc in sorted(documents.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        depth = rel.count("/")
        target = schema_url or "../" * depth + str(schema_file)
        modeline = f"# yaml-language-server: $schema={target}\n"
        path.write_text(modeline + dump_yaml_commented(doc.data, doc.comments), encoding="utf-8")
    if schema_file is not None:
        (out / SCHEMA_DIR).mkdir(parents=True, exist_ok=True)
        (out / schema_file).write_text(render(combined_schema()), encoding="utf-8")
    return len(documents)


def left_to_do(
    out: Path, documents: dict[str, ImportedDocument], *, env: Mapping[str, str]
) -> list[str]:
    """What the user has to do before the plan is empty: every placeholder, each webhook
    variable not set here, and the data planes adopted as they run."""
    marks = sum(len(list(placeholders(d.data))) for d in documents.values())
    hooks = sorted(
        {
            str(ref["env"])
            for d in documents.values()
            for event in (d.data.get("notifications") or {}).values()
            if isinstance(ref := (event.get("webhook") or {}).get("url"), dict)
            and "env" in ref
            and not env.get(str(ref["env"]))
        }
    )
    adopted = sorted(
        f"{d.data['region']}/{d.data['name']}"
        for d in documents.values()
        if (d.data.get("credentials") or {}).get("adopt") == "existing"
    )
    lines = ["Left to do before `flexctl plan` shows no changes:"]
    if marks:
        lines.append(
            f"  - fill in {marks} CHANGE-ME placeholder(s): `flexctl validate {out}` lists "
            "each at file:line:col (a `CHANGE-ME:` value is a guess: delete the prefix to "
            "keep it)"
        )
    if hooks:
        lines.append(f"  - set the webhook URL variable(s) {', '.join(hooks)} where flexctl runs")
    if adopted:
        lines.append(
            f"  - nothing for the {len(adopted)} running data plane(s) ({', '.join(adopted)}): "
            "written with `credentials: {adopt: existing}` (credentials cannot be read back), "
            "so the plan notes each one flexctl does not hold instead of rotating it; "
            "`flexctl apply --rotate REGION/NAME` when you want them managed"
        )
    if len(lines) == 1:
        return ["Nothing is left to do: `flexctl plan` should show no changes."]
    return lines
