"""The webhook body per ``--webhook-format``: Slack, Microsoft Teams, or flexctl's generic JSON.

Pure: an outcome in, a JSON-ready dict out. Every format carries a plain-text rendering of the
cycle (Slack's top-level ``text`` is what notifications and screen readers show; Teams shows
the card). Bodies hold what the status file holds (redacted repository, field paths, no values).

- ``slack``: an incoming-webhook message, ``text`` plus Block Kit ``blocks`` (header, one
  section per object state, a context line). Slack caps a section's text at 3,000 characters
  and a header at 150; both are respected here.
- ``teams``: a message with one Adaptive Card attachment (what Teams Workflows webhooks take;
  the Office 365 connector MessageCard is retired).
- ``generic``: ``{"formatVersion": 1, "source": "flexctl", "event", "ref", "text", ...}`` plus the
  outcome exactly as in ``status.json``.
"""

from __future__ import annotations

from typing import Any, Literal

from reconciler.gitops.objects import STATES
from reconciler.gitops.outcome import CycleOutcome

WebhookFormat = Literal["slack", "teams", "generic"]
FORMATS: tuple[WebhookFormat, ...] = ("generic", "slack", "teams")
GENERIC_FORMAT_VERSION = 1

SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def title(outcome: CycleOutcome, ref: str) -> str:
    at = outcome.commit.short_sha if outcome.commit is not None else "no commit"
    return f"flexctl reconcile {outcome.result} on {ref} at {at}"


def counts(outcome: CycleOutcome) -> str:
    found = ", ".join(f"{outcome.objects.total(s)} {s}" for s in STATES if outcome.objects.total(s))
    return found or "no objects to report"


def text(outcome: CycleOutcome, ref: str) -> str:
    """The whole message as plain text: title, counts, message, warning, one line per object."""
    lines = [f"{title(outcome, ref)}: {counts(outcome)}"]
    if outcome.message:
        lines.append(outcome.message)
    if outcome.fetch_warning:
        lines.append(f"warning: {outcome.fetch_warning}")
    lines += [f"- {line}" for line in outcome.objects.lines()]
    return "\n".join(lines)


def body(outcome: CycleOutcome, *, ref: str, style: WebhookFormat) -> dict[str, Any]:
    if style == "slack":
        return slack(outcome, ref)
    if style == "teams":
        return teams(outcome, ref)
    return generic(outcome, ref)


def generic(outcome: CycleOutcome, ref: str) -> dict[str, Any]:
    return {
        "formatVersion": GENERIC_FORMAT_VERSION,
        "source": "flexctl",
        "event": outcome.result,
        "ref": ref,
        "text": text(outcome, ref),
        **outcome.as_json(),
    }


def slack(outcome: CycleOutcome, ref: str) -> dict[str, Any]:
    summary = [counts(outcome)]
    if outcome.message:
        summary.append(_slack_escape(outcome.message))
    if outcome.fetch_warning:
        summary.append(f"warning: {_slack_escape(outcome.fetch_warning)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_cut(title(outcome, ref), SLACK_HEADER_LIMIT))},
        _section("\n".join(summary)),
    ]
    for state in STATES:
        items = [f"• `{_slack_escape(o.line())}`" for o in outcome.objects.of(state)]
        if outcome.objects.omitted.get(state):
            items.append(f"… and {outcome.objects.omitted[state]} more")
        if items:
            blocks.append(_section(f"*{state}*\n" + "\n".join(items)))
    if outcome.commit is not None:
        commit = outcome.commit
        context = f"{commit.repo} {commit.short_sha} by {commit.author_email}: {commit.summary}"
        blocks.append({"type": "context", "elements": [_mrkdwn(_slack_escape(context))]})
    return {"text": text(outcome, ref), "blocks": blocks}


def teams(outcome: CycleOutcome, ref: str) -> dict[str, Any]:
    card_body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": title(outcome, ref),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": counts(outcome), "wrap": True},
    ]
    for line in (outcome.message, outcome.fetch_warning and f"warning: {outcome.fetch_warning}"):
        if line:
            card_body.append({"type": "TextBlock", "text": line, "wrap": True})
    for state in STATES:
        facts = [
            {"title": o.action, "value": _teams_value(o.line())} for o in outcome.objects.of(state)
        ]
        if outcome.objects.omitted.get(state):
            facts.append({"title": "…", "value": f"{outcome.objects.omitted[state]} more"})
        if facts:
            card_body.append({"type": "TextBlock", "text": state, "weight": "Bolder", "wrap": True})
            card_body.append({"type": "FactSet", "facts": facts})
    if outcome.commit is not None:
        commit = outcome.commit
        card_body.append(
            {
                "type": "TextBlock",
                "text": f"{commit.repo} {commit.short_sha} by {commit.author_email}",
                "isSubtle": True,
                "wrap": True,
            }
        )
    card = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": card_body,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": card}],
    }


def _plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value, "emoji": False}


def _mrkdwn(value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(value, SLACK_SECTION_LIMIT)}


def _section(value: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(value)}


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _slack_escape(value: str) -> str:
    # Slack's mrkdwn treats <...> as links and mentions; these three must be entities.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _teams_value(value: str) -> str:
    # The object line is the value; the action is already the fact's title.
    return value.split(" ", 1)[1] if " " in value else value
