"""The webhook URL rule (``config.webhooks``): what passes, what is refused, never the value."""

from __future__ import annotations

import pytest

from reconciler.config.webhooks import WEBHOOK_URL_MAX, webhook_url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/XXXX",
        "HTTPS://outlook.office.com/webhook/abc?x=1",
        "https://prod-1.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
        "http://127.0.0.1:8080/hook",
        "http://127.8.9.10/hook",
        "http://localhost/hook",
        "http://[::1]:9000/hook",
        "https://" + "h" * (WEBHOOK_URL_MAX - len("https://")),
    ],
)
def test_webhook_urls_that_pass(url: str) -> None:
    assert webhook_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("data:text/html,hi", "must start with https://"),
        ("ftp://hooks.example.com/x", "must start with https://"),
        ("https:hooks.example.com/x", "must start with https://"),
        ("xoxb-123:T0KEN", "must start with https://"),
        ("hooks.example.com/x", "must start with https://"),
        ("http://hooks.example.com/x", "not a loopback address"),
        ("http://10.0.0.1/x", "not a loopback address"),
        ("http://localhost.evil.example/x", "not a loopback address"),
        ("https:///x", "has no host"),
        ("https://", "has no host"),
        ("https://user:pw@hooks.example.com/x", "user-info"),
        ("https://hooks.slack.com@evil.example/x", "user-info"),
        ("https://hooks.example.com:0/x", "invalid port"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://[::1/x", "not a valid URL"),
        ("https://hooks.example.com/a b", "U+0020"),
        ("https://hooks.example.com/\x1b[31m", "U+001B"),
        ("https://hooks.example.com/\u200bx", "U+200B"),
        ("https://hooks.example.com/x\nkind: Region", "spans several lines"),
        ("https://" + "h" * WEBHOOK_URL_MAX, f"at most {WEBHOOK_URL_MAX}"),
    ],
)
def test_webhook_urls_that_are_refused_without_quoting_them(url: str, problem: str) -> None:
    found = webhook_url_problem(url)
    assert found is not None and problem in found
    for part in ("T0KEN", "evil", "passwd", "alert", "hooks.example", "xoxb"):
        assert part not in found


def test_reference_problems_of_a_webhook_variable_set_unset_empty_and_bad() -> None:
    """validate (``missing_ok``) skips a variable it cannot read and checks one it can; a run
    reports each state by name and position, and never the value."""
    from pathlib import Path

    from reconciler.config.loader import load_directory
    from reconciler.config.references import reference_problems

    example = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
    state = load_directory(example)
    name = "US_ANALYTICS_SLACK_WEBHOOK"
    good = {name: "https://hooks.slack.com/services/T0/B0/x"}
    bad = {name: "http://hooks.example.com/CANARY-TOKEN"}
    for env in ({}, {name: ""}, good):
        assert reference_problems(state, env=env, base_dir=example, missing_ok=True) == []
    assert reference_problems(state, env=good, base_dir=example) == []
    (unset,) = reference_problems(state, env={}, base_dir=example)
    assert f"environment variable {name} is not set" in unset.message
    assert "us-analytics: notifications" in unset.message
    (empty,) = reference_problems(state, env={name: ""}, base_dir=example)
    assert f"environment variable {name} is empty" in empty.message
    for missing_ok in (True, False):
        (refused,) = reference_problems(state, env=bad, base_dir=example, missing_ok=missing_ok)
        assert "not a loopback address" in refused.message
        assert "CANARY" not in refused.message
        assert refused.position == unset.position
        assert refused.position.line > 0 and refused.position.path.endswith(".yaml")
