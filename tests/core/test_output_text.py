"""Text rendering: golden files, colour, redaction, footer variants, determinism."""

from __future__ import annotations

import re

import pytest
from test_output_cases import (
    CANARY,
    CANARY_DIGEST,
    blocked_only_plan,
    check_golden,
    empty_plan,
    full_plan,
)

from reconciler.core.output import render
from reconciler.core.output.text import render_text
from reconciler.core.plan import Plan

CASES = {"full": full_plan, "empty": empty_plan, "blocked_only": blocked_only_plan}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    check_golden(f"output_{case}.txt", render_text(CASES[case](), color=False))


def test_golden_color() -> None:
    check_golden("output_full.color.txt", render_text(full_plan(), color=True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_deterministic_and_stable_through_saved_plan(case: str) -> None:
    plan = CASES[case]()
    first = render_text(plan, color=True)
    assert render_text(plan, color=True) == first
    assert render_text(Plan.from_json(plan.as_json()), color=True) == first


def test_no_escape_codes_without_color() -> None:
    assert "\x1b" not in render_text(full_plan(), color=False)


def test_colour_per_action_and_dim_when_blocked() -> None:
    out = render_text(full_plan(), color=True)
    assert "\x1b[32m+ region aws-us-east-1\x1b[0m" in out
    assert "\x1b[33m~ workspace eu-marketing (drift: changed outside Git)\x1b[0m" in out
    assert "\x1b[31m- workspace old-sandbox\x1b[0m" in out
    assert "\x1b[35m± dataplane eu-west/primary (rotate)\x1b[0m" in out
    assert "\x1b[2m- dataplane aws-us-east-1/old (blocked: pruning" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == render_text(full_plan(), color=False)


def test_secret_digest_never_printed() -> None:
    out = render_text(full_plan(), color=False)
    assert CANARY_DIGEST not in out
    assert CANARY_DIGEST.removeprefix("sha256:") not in out
    assert CANARY not in out
    assert "    notifications.failure.webhookUrl: (sensitive value changed)\n" in out
    assert "    notifications.success.webhookUrl: null → (sensitive)\n" in out
    assert "    notifications.failure.webhookUrl: (sensitive)\n" in out
    assert "warning: Workspace eu-marketing: webhook (sensitive) is shared" in out


def test_permission_phrasing() -> None:
    out = render_text(full_plan(), color=False)
    assert (
        "~ bob@example.com: workspace_reader → workspace_editor in workspace us-analytics\n" in out
    )
    assert "+ grant ana@example.com workspace_editor in workspace us-analytics\n" in out
    assert "+ grant ops@example.com organization_admin in organization\n" in out
    assert "- revoke dave@example.com in workspace us-analytics\n" in out


def test_workspace_create_lists_only_notification_events_that_are_on() -> None:
    out = render_text(full_plan(), color=False)
    block = out.split("+ workspace us-analytics\n")[1].split("\n\n")[0]
    assert block.splitlines() == [
        '    name: "us-analytics"',
        "    notifications.failure.email: true",
        "    notifications.failure.webhook: true",
        "    notifications.failure.webhookUrl: (sensitive)",
        "    notifications.syncDisabled.email: true",
        "    notifications.syncDisabled.webhook: false",
        "    notifications.syncDisabled.webhookUrl: null",
        '    region: "aws-us-east-1"',
    ]


def test_footers() -> None:
    assert render_text(full_plan(), color=False).endswith(
        "Plan: 6 to create, 4 to update, 2 to delete, 1 to rotate. 4 blocked. 14 unchanged. "
        "7 API calls.\n"
    )
    assert render_text(empty_plan(), color=False) == (
        "Control plane: embedded control plane in .flexctl (no controlPlane.url, no "
        "AIRBYTE_API_URL)\n\nNo changes. Live state matches the config. (7 unchanged, 1 API call)\n"
    )
    assert render_text(blocked_only_plan(), color=False).endswith(
        "Plan: 0 to create, 0 to update, 0 to delete, 0 to rotate. 1 blocked. 2 pending. "
        "4 unchanged. 3 API calls. Apply will refuse this plan.\n"
    )


def test_render_dispatch() -> None:
    plan = full_plan()
    assert render(plan, "text") == render_text(plan, color=False)
    assert render(plan, "text", color=True) == render_text(plan, color=True)
    # Pull-request context reaches every format; max_bytes is Markdown's alone.
    assert render(plan, "text", changed_documents=(), max_bytes=10) == render_text(
        plan, color=False, changed_documents=()
    )
    with pytest.raises(TypeError, match=r"unknown render options \['colour'\]"):
        render(plan, "text", colour=True)
    with pytest.raises(ValueError, match="unknown output format 'yaml'"):
        render(plan, "yaml")  # type: ignore[arg-type]
