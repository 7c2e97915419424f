"""The secret references a run resolves before it talks to anyone, checked all at once.

Every plan, apply, import, verify and reconcile cycle resolves the control plane's client
id and secret and every webhook URL. Resolving them one by one stopped at the first that
failed, so fixing a config took a run per reference. ``check_references`` resolves them all
and raises one error with a ``path:line:col`` per problem (``UnresolvedReferences``, a
``ConfigError``: rendered like validate's diagnostics). ``validate`` runs the same check on
whatever it can read (``missing_ok``: a machine that validates holds none of the secrets).

Resolution itself is ``config.secrets``; the webhook rule is ``config.webhooks``. Messages
name the document, the field and the reference (``env:NAME``, ``file:PATH``), never a value.
References used only by a credential sink (storage keys, a Vault token) are resolved when
that sink writes, and reported there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.desired import DesiredState, KeyPath
from reconciler.config.diagnostics import ConfigError, Diagnostic, Position
from reconciler.config.models import NOTIFICATION_EVENTS, SecretRef
from reconciler.config.secrets import resolve_secret
from reconciler.config.webhooks import webhook_url_problem
from reconciler.errors import SecretResolutionError


class UnresolvedReferences(ConfigError, SecretResolutionError):
    """Every reference of a run that could not be resolved, or resolved to a bad value."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics)
        Exception.__init__(self, f"{len(self.diagnostics)} secret reference(s) cannot be used")


@dataclass(frozen=True)
class Reference:
    """One reference a run resolves: where it is written, and the rule its value obeys."""

    kind: str
    name: str
    path: KeyPath
    ref: SecretRef
    #: What is wrong with a resolved value (None: nothing), e.g. the webhook URL rule.
    check: Callable[[str], str | None] | None = None

    @property
    def where(self) -> str:
        """How messages name it: ``Workspace analytics: notifications.failure.webhook.url``."""
        return f"{self.kind} {self.name}: {dotted(self.path)}"


def dotted(path: KeyPath) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).removeprefix(".")


def webhook_where(workspace: str, event: str) -> str:
    return f"Workspace {workspace}: {dotted(_webhook_path(event))}"


def _webhook_path(event: str) -> KeyPath:
    return ("notifications", event, "webhook", "url")


def run_references(desired: DesiredState) -> Iterator[Reference]:
    """The references every run resolves, in document order."""
    org = desired.organization
    for key, ref in (
        ("clientId", org.control_plane.client_id),
        ("clientSecret", org.control_plane.client_secret),
    ):
        if ref is not None:
            yield Reference("Organization", org.name, ("controlPlane", key), ref)
    for ws in desired.workspaces:
        for event in NOTIFICATION_EVENTS:
            declared = getattr(ws.notifications, event_attribute(event))
            hook = declared.webhook if declared is not None else None
            if hook is not None and hook.url is not None:
                yield Reference(
                    "Workspace", ws.name, _webhook_path(event), hook.url, webhook_url_problem
                )


def event_attribute(event: str) -> str:
    """The attribute of ``models.Notifications`` for an event's API spelling."""
    found = _EVENT_ATTRIBUTES.get(event)
    return found if found is not None else _snake(event)


def _snake(event: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in event)


#: Spelt once: every run asks for each event of each workspace (120,000 times at 20,000).
_EVENT_ATTRIBUTES = {event: _snake(event) for event in NOTIFICATION_EVENTS}


def reference_problems(
    desired: DesiredState, *, env: Mapping[str, str], base_dir: Path, missing_ok: bool = False
) -> list[Diagnostic]:
    """A diagnostic per reference of ``run_references`` that cannot be used.

    ``missing_ok`` (validate): a reference that does not resolve here is skipped (the
    loader already checked a file reference's form and kind); one that resolves is checked.
    """
    problems: list[Diagnostic] = []
    env = dict(env)  # os.environ encodes every key it is asked for (100,000 webhooks)
    for reference in run_references(desired):
        ref = reference.ref
        # A variable is read here without ``where``'s text, which only an error needs (and
        # ``missing_ok`` skips every error of a variable: unset or empty); a file, or an
        # error to report, goes through resolve_secret, which names the reference.
        value = env.get(ref.env) if ref.env is not None else None
        if not value:
            if missing_ok and ref.env is not None:
                continue
            try:
                value = resolve_secret(ref, where=reference.where, env=env, base_dir=base_dir)
            except SecretResolutionError as exc:
                if not missing_ok:
                    problems.append(Diagnostic(_position(desired, reference), str(exc)))
                continue
        problem = reference.check(value) if reference.check is not None else None
        if problem is not None:
            message = value_problem(reference.where, ref, problem)
            problems.append(Diagnostic(_position(desired, reference), message))
    return problems


def _position(desired: DesiredState, reference: Reference) -> Position:
    """Where ``reference`` is written: asked for only with a problem (positions are read
    on demand, see ``yamlio.LazySpans``)."""
    return desired.source(reference.kind, reference.name).at(
        *reference.path, "env" if reference.ref.env is not None else "file"
    )


def value_problem(where: str, ref: SecretRef, problem: str) -> str:
    """The message for a resolved value that breaks its rule (names the reference only)."""
    return f"{where}: the value of {ref.describe()} {problem}"


def check_references(desired: DesiredState, *, env: Mapping[str, str], base_dir: Path) -> None:
    """Raise ``UnresolvedReferences`` naming every reference of the run that cannot be used."""
    problems = reference_problems(desired, env=env, base_dir=base_dir)
    if problems:
        raise UnresolvedReferences(problems)
