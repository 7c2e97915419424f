"""Issue 13.5 / airbyte#65105: a webhook change sent by PATCH is answered 200 but not applied.
flexctl reports it once as "not applied by the server" instead of drifting forever, sends
it again only when the config changes, and never prints the webhook URL."""

from __future__ import annotations

import asyncio

from reconciler.controlplane.quirks import Quirks
from reconciler.core.output import render

from .harness import CANARY_WEBHOOK, EXAMPLE_USERS, WEBHOOK_ENV, World

NEW_URL = "https://hooks.example.invalid/services/T0/B0/canary-second-7f3e"
THIRD_URL = "https://hooks.example.invalid/services/T0/B0/canary-third-9a1c"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_webhook_patch_not_applied_is_reported_once_and_not_resent(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    run(world.converge())
    world.plane.set_quirks(Quirks(webhook_patch_ignored=True))

    world.env[WEBHOOK_ENV] = NEW_URL
    plan = run(world.prepare()).plan
    assert [(c.action.value, str(c.key)) for c in plan.changes] == [
        ("update", "workspace us-analytics")
    ]
    result = run(world.apply())
    assert result.ok

    # The server kept the old URL: no update again, no drift, one warning that says why.
    plan = run(world.prepare()).plan
    assert plan.changes == ()
    [warning] = [w for w in plan.warnings if "airbyte#65105" in w]
    assert warning.startswith("workspace us-analytics: the server accepted but did not apply ")
    assert "notifications.failure.webhookUrl" in warning
    text = render(plan, "text")
    assert "airbyte#65105" in text
    for secret in (NEW_URL, CANARY_WEBHOOK):
        assert (
            secret not in text and secret not in (world.state.root / "inventory.json").read_text()
        )
    # A heal loop does nothing more.
    assert run(world.apply()).outcomes == ()

    # A new config value is sent again; a server that applies it ends the warning.
    world.plane.set_quirks(None)
    world.env[WEBHOOK_ENV] = THIRD_URL
    run(world.converge())
    plan = run(world.prepare()).plan
    assert plan.changes == () and not [w for w in plan.warnings if "airbyte#65105" in w]
