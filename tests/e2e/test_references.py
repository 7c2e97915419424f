"""Secret references a run resolves (control-plane credentials, webhook URLs): every problem in
one run, each at its ``path:line:col``, exit 1, nothing changed, and no value in any message."""

from __future__ import annotations

import pytest

from ..engine.harness import EXAMPLE_USERS, WEBHOOK_ENV, edit
from .conftest import Cli

BAD_HOOK = "javascript:alert('CANARY-js-91c4')"


def test_every_unusable_reference_is_reported_at_once_and_nothing_changes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded control plane
    cli.add_users(*EXAMPLE_USERS)  # else their grants stay pending and apply exits 1
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    before = cli.dump()
    monkeypatch.setenv(WEBHOOK_ENV, BAD_HOOK)
    edit(
        cli.config / "workspaces/marketing-eu.yaml",
        "  syncDisabled:\n    email: {enabled: true}\n",
        "  syncDisabled:\n    email: {enabled: true}\n"
        "    webhook: {url: {env: FLEXCTL_TEST_UNSET_HOOK}}\n"
        "  success:\n    webhook: {url: {file: hooks/marketing}}\n",
    )
    monkeypatch.delenv("FLEXCTL_TEST_UNSET_HOOK", raising=False)
    (cli.config / "hooks").mkdir()
    (cli.config / "hooks/marketing").write_text("http://hooks.example.com/CANARY-http-5d20\n")

    expected = [
        "config/workspaces/analytics.yaml:19:13: error: Workspace us-analytics: "
        f"notifications.failure.webhook.url: the value of env:{WEBHOOK_ENV} must start with "
        "https:// (or http:// to a loopback address)",
        "config/workspaces/marketing-eu.yaml:19:21: error: Workspace marketing-eu: "
        "notifications.syncDisabled.webhook.url: environment variable FLEXCTL_TEST_UNSET_HOOK "
        "is not set",
        "config/workspaces/marketing-eu.yaml:21:21: error: Workspace marketing-eu: "
        "notifications.success.webhook.url: the value of file:hooks/marketing uses http:// to a "
        "host that is not a loopback address; use https://",
        "3 error(s)",
    ]
    for argv in (["plan"], ["apply", "--yes"]):
        result = cli(*argv, "config", "--embedded")
        assert result.code == 1
        assert result.err.splitlines() == expected
        assert "Traceback" not in result.err
    assert cli.dump() == before

    # validate checks what this machine can read: the two values, not the unset variable.
    result = cli("validate", "config")
    assert result.code == 1
    assert result.out.splitlines() == [expected[0], expected[2], "2 error(s)"]

    for text in cli.printed:
        assert "CANARY" not in text
        assert "alert(" not in text and "hooks.example.com" not in text
