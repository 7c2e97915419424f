"""Run-time guards a plan must pass before it is shown: conditions that depend on where flexctl
runs (a CI runner, a shared state backend), not on the config or the live state alone.

Local credentials: a data plane's client secret is shown once, by the create. A ``file`` or
``env-file`` sink writes it to this machine's disk; in a CI job (``CI`` set) or a run whose
state is shared (other machines apply too), nobody will ever find that file again, so a plan
that creates a data plane there is refused, naming the data plane and the sinks to use, unless
``--allow-local-credentials`` says the file is wanted. An interactive run with local state is
someone at their own machine: the file is theirs to keep.

Pure: the context (environment, interactivity, backend) is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane
from reconciler.core.plan import Action, Plan
from reconciler.core.resources import Kind
from reconciler.errors import RefusedError

#: Sinks that keep the credentials outside this machine.
DURABLE_SINKS = "vault, aws-secrets-manager, gcp-secret-manager, azure-key-vault or kubernetes"


def ci_set(env: Mapping[str, str]) -> bool:
    """``CI`` as CI systems set it (GitHub, GitLab, ...: ``true``); ``false``/``0`` is unset."""
    return env.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def refuse_local_credentials(
    plan: Plan,
    desired: DesiredState,
    *,
    env: Mapping[str, str],
    interactive: bool,
    shared_state: str | None,
    allowed: bool,
) -> None:
    """Raise RefusedError when the plan creates data planes whose credentials would be lost.

    ``shared_state`` is the state URL when it is shared (s3, git), else None.
    """
    if allowed:
        return
    why = []
    if ci_set(env):
        why.append("CI is set")
    if shared_state is not None:
        why.append(f"the state is shared ({shared_state})")
    if interactive or not why:
        return
    creating = {
        c.key.name.lower()
        for c in plan.actionable
        if c.key.kind is Kind.DATAPLANE and c.action in (Action.CREATE, Action.ROTATE)
    }
    problems = []
    for dp in sorted(desired.dataplanes, key=dataplane_key):
        key = dataplane_key(dp)
        sink = desired.credentials_for(dp)
        if key.lower() not in creating or not sink.type.local:
            continue
        problems.append(
            f"{_where(desired, dp)}: dataplane {key}: its one-time credentials would go to the "
            f"{sink.type.value} sink on this machine's disk, lost when this run's machine goes "
            f"away; set credentials.type (or the Organization's default credentials) to "
            f"{DURABLE_SINKS}"
        )
    if problems:
        raise RefusedError(
            f"refusing to create data planes with local credentials ({', '.join(why)}; "
            "pass --allow-local-credentials to write them anyway):\n  " + "\n  ".join(problems)
        )


def _where(desired: DesiredState, dp: DataPlane) -> str:
    """The document that chose the sink: the data plane's ``credentials``, else its own."""
    key = dataplane_key(dp)
    source = desired.sources.get(("DataPlane", key))
    if dp.own_sink is None and desired.organization.credentials is not None:
        org = desired.sources.get(("Organization", desired.organization.name))
        if org is not None:
            return str(org.at("credentials"))
    if source is None:
        return f"DataPlane {key}"
    return str(source.at("credentials"))
