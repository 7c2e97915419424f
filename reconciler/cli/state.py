"""``flexctl state show | migrate | unlock``: what the state backend holds, moving it, the lease.

    flexctl state show    [CONFIG] [--state URL] [--output text|json]
    flexctl state migrate [CONFIG] --to URL       copy this state into another backend
    flexctl state unlock  ID [CONFIG]             release a lease by its id (force-unlock)

The backend is chosen as for plan and apply (``--state`` > ``FLEXCTL_STATE`` > the
Organization's ``state.url`` when CONFIG is given > the local ``--state-dir``). Nothing here
prints a secret: the backend never holds one (ids, digests and bookkeeping only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import add_state_dir_argument

if TYPE_CHECKING:
    from reconciler.state import StateBackend
    from reconciler.statedir import StateDir

#: The documents `migrate` copies besides the audit runs (``audit/``), in this order; the
#: inventory last, so a migration cut short leaves a target that holds no inventory and is
#: therefore retried from scratch.
DOCUMENTS = ("reconcile/status", "git/lastgood", "inventory")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "state",
        help="show, migrate or unlock the state backend",
        description="What the state backend holds (inventory, journal, lease, audit runs, "
        "reconcile status, last good commit), copying it to another backend, and releasing "
        "a lease left by a run that died.",
    )
    actions = parser.add_subparsers(dest="state_command", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="what the backend holds")
    _common(show)
    show.add_argument("-o", "--output", choices=("text", "json"), default="text")
    show.set_defaults(func=run_show)

    migrate = actions.add_parser(
        "migrate", help="copy this state into another backend, verified by reading it back"
    )
    _common(migrate)
    migrate.add_argument("--to", required=True, metavar="URL", help="the backend to copy into")
    migrate.set_defaults(func=run_migrate)

    unlock = actions.add_parser("unlock", help="release the apply lease with this id")
    unlock.add_argument("lease_id", metavar="ID", help="the lease id a refused apply printed")
    _common(unlock)
    unlock.set_defaults(func=run_unlock)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        type=Path,
        default=None,
        metavar="CONFIG",
        help="config directory whose Organization names the backend (state.url); optional",
    )
    add_state_dir_argument(parser)


def _selected(args: argparse.Namespace) -> StateDir:
    """The state directory with the backend plan and apply would use."""
    from reconciler.cli.run import state_dir

    configured = None
    if (
        args.config is not None
        and not getattr(args, "state", None)
        and not os.environ.get("FLEXCTL_STATE")
    ):
        from reconciler.config.loader import load_directory

        configured = load_directory(args.config).organization.state
    return state_dir(args, configured, os.environ)


# ---------------------------------------------------------------------------------- show


def run_show(args: argparse.Namespace) -> int:
    from reconciler.state import backend_of

    state = _selected(args)
    backend = backend_of(state)
    report = gather(backend, state)
    if args.output == "json":
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print("\n".join(_text(report)))
    return 0


def gather(backend: StateBackend, state: StateDir) -> dict[str, Any]:
    """Everything the backend holds, as one JSON-able report (``formatVersion`` 1)."""
    from reconciler.engine.store import InventoryStore, Journal
    from reconciler.state.lease import LOCK

    inventory = InventoryStore(backend).load()
    lease, _ = backend.read(LOCK) if backend.shared else (_local_owner(state), None)
    journal = [
        {"event": r.event, "kind": r.key.kind.value, "name": r.key.name, "id": r.id}
        for r in Journal(backend).records()
    ]
    status, _ = backend.read("reconcile/status")
    lastgood, _ = backend.read("git/lastgood")
    return {
        "formatVersion": 1,
        "backend": str(backend.url) if backend.shared else f"local {state.root}",
        "shared": backend.shared,
        "lease": _public_lease(lease),
        "inventory": [
            {
                "kind": e.key.kind.value,
                "name": e.key.name,
                "id": e.id,
                "protect": e.protect,
                **({"notApplied": e.not_applied} if e.not_applied else {}),
            }
            for e in inventory
        ],
        "journal": journal,
        "audit": [_audit_summary(run) for run in _audit_runs(backend)],
        "reconcile": _strip(status),
        "lastGood": _strip(lastgood),
    }


def _strip(document: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in document.items() if k != "formatVersion"} if document else None


def _public_lease(lease: dict[str, Any] | None) -> dict[str, Any] | None:
    if lease is None:
        return None
    keep = ("id", "user", "host", "pid", "command", "ciRun", "started", "expires")
    return {k: lease[k] for k in keep if k in lease}


def _local_owner(state: StateDir) -> dict[str, Any] | None:
    """The local file lock's owner record (there is no lease id: the OS releases the lock)."""
    path = state.path("apply.owner.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _audit_runs(backend: StateBackend) -> list[dict[str, Any]]:
    """Each apply run's audit document; the local backend's audit.jsonl grouped by run."""
    from reconciler.state.local import LocalBackend

    if isinstance(backend, LocalBackend):
        return _local_audit_runs(backend.root / "audit.jsonl")
    runs = []
    for name in backend.names("audit/"):
        document, _ = backend.read(name)
        if document is not None:
            runs.append({"name": name, **document})
    return runs


def _local_audit_runs(path: Path) -> list[dict[str, Any]]:
    from reconciler.errors import StateError

    runs: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as e:
        raise StateError(f"{path}: cannot read: {e.strerror}") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            run_id = str(entry["runId"])
        except (ValueError, KeyError, TypeError) as e:
            raise StateError(f"{path}:{number}: audit record unreadable ({e})") from e
        run = runs.setdefault(
            run_id,
            {
                "name": _run_name(entry, run_id),
                **{k: entry[k] for k in ("runId", "actor", "configDigest", "source") if k in entry},
                "records": [],
            },
        )
        run["records"].append(entry)
    return list(runs.values())


def _run_name(entry: dict[str, Any], run_id: str) -> str:
    from datetime import UTC, datetime

    from reconciler.engine.audit import run_document_name

    try:
        started = datetime.fromisoformat(str(entry.get("time")))
    except ValueError:
        started = datetime.fromtimestamp(0, UTC)
    return run_document_name(started, run_id)


def _audit_summary(run: dict[str, Any]) -> dict[str, Any]:
    records = run.get("records") or []
    outcomes: dict[str, int] = {}
    for record in records:
        outcomes[str(record.get("outcome"))] = outcomes.get(str(record.get("outcome")), 0) + 1
    return {
        "name": run["name"],
        "actor": run.get("actor"),
        "source": run.get("source"),
        "started": records[0].get("time") if records else None,
        "records": len(records),
        "outcomes": outcomes,
    }


def _text(report: dict[str, Any]) -> list[str]:
    import time

    from reconciler.state.lease import describe_holder

    out = [f"State: {report['backend']} ({'shared' if report['shared'] else 'this machine only'})"]
    lease = report["lease"]
    if lease is None:
        out.append("Lock: free")
    elif "id" in lease:
        out.append(f"Lock: held by {describe_holder(lease, now=time.time())}")
    else:
        out.append(f"Lock: held by pid {lease.get('pid')} on {lease.get('host')} (local)")
    entries = report["inventory"]
    protected = sum(1 for e in entries if e["protect"])
    out.append(f"Inventory: {len(entries)} objects, {protected} protected")
    for e in entries:
        flags = " (protect)" if e["protect"] else ""
        out.append(f"  {e['kind']} {e['name']}  {e['id']}{flags}")
    journal = report["journal"]
    if journal:
        out.append(
            f"Journal: {len(journal)} records (an apply did not finish; the next apply replays it)"
        )
        out += [f"  {j['event']} {j['kind']} {j['name']} {j['id'] or ''}".rstrip() for j in journal]
    else:
        out.append("Journal: empty")
    audit = report["audit"]
    out.append(f"Audit: {len(audit)} apply runs")
    for run in audit[-10:]:
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(run["outcomes"].items()))
        out.append(f"  {run['name']} by {run['actor']}: {outcomes or 'no records'}")
    if report["reconcile"] is not None:
        r = report["reconcile"]
        out.append(
            f"Reconcile: last success {r.get('lastSuccessAt') or 'never'}, "
            f"last result {r.get('lastResult') or r.get('result') or 'unknown'}"
        )
    if report["lastGood"] is not None:
        for where, commit in sorted((report["lastGood"].get("commits") or {}).items()):
            out.append(f"Last good commit: {where} {str(commit.get('sha', ''))[:12]}")
    return out


# ---------------------------------------------------------------------------------- migrate


def run_migrate(args: argparse.Namespace) -> int:
    from reconciler.engine.lock import apply_lock
    from reconciler.engine.store import Journal
    from reconciler.errors import StateError
    from reconciler.state import backend_of, open_backend, parse_state_url
    from reconciler.state.lease import LeaseOwner, hold

    state = _selected(args)
    source = backend_of(state)
    target_url = parse_state_url(args.to, origin="--to")
    target = open_backend(target_url, state_dir=state.root, env=os.environ)
    if _same(source, target):
        raise StateError(f"--to {args.to}: that is the state this run already uses")
    owner = LeaseOwner.current(os.environ, command="state migrate")
    with (
        apply_lock(state, command="state migrate", env=os.environ),
        hold(target, owner, ttl=120.0) if target.shared else nullcontext(),
    ):
        if any(True for _ in Journal(source).records()):
            raise StateError(
                f"{_label(source, state)}: the journal holds an apply that did not finish; "
                "run `flexctl apply` to finish it, then migrate (nothing was copied)"
            )
        documents = _documents(source)
        _refuse_occupied(target, documents)
        copied = _copy(target, documents)
    print(
        f"Migrated {copied} documents from {_label(source, state)} to {target_url} "
        "(each read back and compared); the source is unchanged."
    )
    print(
        f"Use it from every runner: --state {target_url}, FLEXCTL_STATE={target_url}, or "
        f"`state: {{url: {target_url}}}` in the Organization document."
    )
    return 0


def _same(a: StateBackend, b: StateBackend) -> bool:
    from reconciler.state.local import LocalBackend

    if isinstance(a, LocalBackend) and isinstance(b, LocalBackend):
        return a.root.resolve() == b.root.resolve()
    return str(a.url) == str(b.url) and a.url.scheme == b.url.scheme


def _label(backend: StateBackend, state: StateDir) -> str:
    return str(backend.url) if backend.shared else f"local {getattr(backend, 'root', state.root)}"


def _documents(source: StateBackend) -> list[tuple[str, dict[str, Any]]]:
    """(name, document) pairs to copy, audit runs first and the inventory last."""
    found: list[tuple[str, dict[str, Any]]] = []
    for run in _audit_runs(source):
        name = run.pop("name")
        found.append((name, run))
    for name in DOCUMENTS:
        document, _ = source.read(name)
        if document is not None:
            found.append((name, _strip(document) or {}))
    return found


def _refuse_occupied(target: StateBackend, documents: Iterable[tuple[str, dict[str, Any]]]) -> None:
    from reconciler.errors import StateError

    for name, document in documents:
        held, _ = target.read(name)
        if held is not None and _strip(held) != document:
            raise StateError(
                f"{target.where(name)}: the target already holds different state; nothing "
                "was copied (migrate into an empty prefix or ref, or remove it first)"
            )


def _copy(target: StateBackend, documents: list[tuple[str, dict[str, Any]]]) -> int:
    from reconciler.errors import StateError

    for name, document in documents:
        _, revision = target.read(name)
        if revision is None:
            target.write(name, document, expect_revision=None, message=f"flexctl: migrate {name}")
        back, _ = target.read(name)
        if _strip(back) != document:
            raise StateError(f"{target.where(name)}: read back differs from what was written")
    return len(documents)


# ---------------------------------------------------------------------------------- unlock


def run_unlock(args: argparse.Namespace) -> int:
    from reconciler.errors import StateError
    from reconciler.state import backend_of
    from reconciler.state.lease import describe_holder

    state = _selected(args)
    backend = backend_of(state)
    if not backend.shared:
        raise StateError(
            f"local {state.root}: the local apply lock is held by the operating system and "
            "released when its process exits; there is no lease to unlock"
        )
    import time

    released = backend.unlock(args.lease_id)
    print(f"Released lease {args.lease_id}: {describe_holder(released, now=time.time())}")
    print(
        "If that run is still going, it stops at its next renewal; run `flexctl plan` before "
        "applying again.",
        file=sys.stderr,
    )
    return 0
