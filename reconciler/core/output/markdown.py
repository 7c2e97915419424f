"""A plan as a pull-request comment (GitHub-flavoured Markdown).

Layout: a stable marker (so CI finds and updates its own comment), the source and the
control plane, the guards' refusals (never cut), a summary table, the changed documents,
drift the reviewer must know about, the plan details folded in a ``diff`` block, what is
blocked (and how to unblock it) and pending, warnings, the footer. The comment never
exceeds ``max_bytes`` (GitHub holds 65,536 characters): whole changes are cut, deletes and
drift last, and the cut is said out loud. Every cut keeps fences balanced and ``<details>`` closed.

Pure: returns a string. Must not fetch anything or know about Git; changed documents and
unexplained drift are computed by ``gitops.changes`` and passed in, already sorted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.output.lines import (
    BLOCKED_HEADING,
    PENDING_HEADING,
    REFUSED_HEADING,
    ChangeView,
    DocumentChangeLike,
    blocked_lines,
    footer,
    pending_lines,
    refusal_lines,
    scrub,
    target_line,
    view,
)
from reconciler.core.plan import Action, Change, Plan
from reconciler.core.resources import Kind

MARKER = "<!-- flexctl-plan -->"
DEFAULT_MAX_BYTES = 60000

_SOURCE_ORDER = ("repo", "ref", "commit", "author", "path")
_ROWS = ("create", "update", "delete", "rotate", "blocked", "pending", "unchanged")


@dataclass(frozen=True)
class _Input:
    plan: Plan
    views: tuple[ChangeView, ...]
    #: Change indexes in the order they are kept when the comment must shrink.
    keep_order: tuple[int, ...]
    documents: Sequence[DocumentChangeLike] | None
    unexplained: Sequence[tuple[str, str]]
    drifted: tuple[ChangeView, ...]


def render_markdown(
    plan: Plan,
    *,
    changed_documents: Sequence[DocumentChangeLike] | None = None,
    unexplained_drift: Sequence[tuple[str, str]] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """The comment, at most ``max_bytes`` UTF-8 bytes; ValueError if even the bare summary
    does not fit."""
    views = tuple(view(c) for c in plan.changes)
    data = _Input(
        plan=plan,
        views=views,
        keep_order=tuple(sorted(range(len(views)), key=lambda i: (_keep_rank(plan.changes[i]), i))),
        documents=changed_documents,
        unexplained=unexplained_drift,
        drifted=tuple(v for c, v in zip(plan.changes, views, strict=True) if c.drift),
    )
    longest_list = max(
        len(changed_documents or ()),
        len(unexplained_drift),
        len(data.drifted),
        len(plan.warnings),
        len(plan.blocked),
        len(plan.pending),
    )
    candidates: list[Callable[[], str | None]] = [
        lambda: _compose(data, shown=len(views), cap=longest_list),
        lambda: _largest(
            len(views) - 1, lambda k: _compose(data, shown=k, cap=longest_list), max_bytes
        ),
        lambda: _largest(longest_list - 1, lambda c: _compose(data, shown=0, cap=c), max_bytes),
        lambda: _minimal(plan),
    ]
    for candidate in candidates:
        text = candidate()
        if text is not None and _size(text) <= max_bytes:
            return text
    raise ValueError(f"max_bytes={max_bytes:,} is too small for even the plan summary")


def _keep_rank(change: Change) -> int:
    # A reviewer must see what is destroyed or overwritten; creates are the cheapest to cut.
    if change.action in (Action.DELETE, Action.ROTATE):
        return 0
    if change.drift:
        return 1
    return 2 if change.action is Action.UPDATE else 3


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _largest(high: int, build: Callable[[int], str], max_bytes: int) -> str | None:
    """The biggest ``build(n)`` for n in [0, high] that fits (sizes grow with n)."""
    if high < 0 or _size(best := build(0)) > max_bytes:
        return None
    low = 0
    while low < high:
        mid = (low + high + 1) // 2
        text = build(mid)
        if _size(text) <= max_bytes:
            low, best = mid, text
        else:
            high = mid - 1
    return best


def _compose(data: _Input, *, shown: int, cap: int) -> str:
    plan = data.plan
    sections = [_head(plan), _refused(plan)]
    if plan.changes or plan.pending:
        sections.append(_table(plan))
    if data.documents is not None:
        sections.append(_documents(data.documents, cap))
    sections.append(_drift(data, cap))
    if plan.changes:
        sections.append(_details(data, shown))
    sections.append(_listed(BLOCKED_HEADING, blocked_lines(plan), cap, "blocked change"))
    sections.append(_listed(PENDING_HEADING, pending_lines(plan), cap, "pending grant"))
    sections.append(_listed("Notes", plan.notes, cap, "note"))
    sections.append(_warnings(plan.warnings, cap))
    sections.append(footer(plan))
    return "\n\n".join(s for s in sections if s) + "\n"


def _minimal(plan: Plan) -> str:
    note = (
        "The plan is too large for a comment; run flexctl plan locally or see the "
        "plan.json artifact for the full plan."
    )
    return "\n\n".join(s for s in [_head(plan), _refused(plan), note, footer(plan)] if s) + "\n"


def _head(plan: Plan) -> str:
    lines = [MARKER, "## flexctl plan"]
    if plan.target:
        what = target_line(plan.target).removeprefix("Control plane: ")
        lines += ["", f"**Control plane:** {_text(what)}"]
    source = plan.source
    if "sha" in source:
        # A commit (gitops.repo.CommitInfo): say it the way a reviewer reads it.
        line = f"**Commit:** {_code(source.get('shortSha') or source['sha'][:12])}"
        if source.get("summary"):
            line += f" {_text(source['summary'])}"
        if source.get("authorName"):
            line += f" by {_text(source['authorName'])}"
        if source.get("repo"):
            line += f" in {_code(source['repo'])}"
        lines += ["", line]
        return "\n".join(lines)
    keys = [k for k in _SOURCE_ORDER if k in source]
    keys += sorted(k for k in source if k not in _SOURCE_ORDER)
    if keys:
        parts = " · ".join(f"{k} {_code(source[k])}" for k in keys)
        lines += ["", f"**Source:** {parts}"]
    return "\n".join(lines)


#: Column titles of the kinds that are not a document of their own.
_TITLES = {Kind.GROUP_MEMBER: "Group member", Kind.GROUP_PERMISSION: "Group role"}
_GROUP_KINDS = (Kind.GROUP, Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION)


def _table(plan: Plan) -> str:
    used = {c.key.kind for c in plan.changes} | {p.key.kind for p in plan.pending}
    used |= {k for k in Kind if plan.unchanged.get(k.value)}
    # Group columns only for plans that have groups, connections only for plans that have
    # them (hashing policies): the table stays narrow without them.
    kinds = [
        k
        for k in Kind
        if (k not in _GROUP_KINDS or used & set(_GROUP_KINDS))
        and (k is not Kind.CONNECTION or k in used)
    ]
    counts: dict[str, dict[Kind, int]] = {row: dict.fromkeys(kinds, 0) for row in _ROWS}
    for change in plan.changes:
        row = "blocked" if change.blocked is not None else change.action.value
        counts[row][change.key.kind] += 1
    unchanged: Mapping[str, int] = plan.unchanged
    for pending in plan.pending:
        counts["pending"][pending.key.kind] += 1
    counts["unchanged"] = {k: int(unchanged.get(k.value, 0)) for k in kinds}
    lines = [
        "| | " + " | ".join(_TITLES.get(k, k.document_kind) for k in kinds) + " | Total |",
        "|:--|" + "--:|" * (len(kinds) + 1),
    ]
    for row in _ROWS:
        total = sum(unchanged.values()) if row == "unchanged" else sum(counts[row].values())
        cells = [f"{counts[row][k]:,}" for k in kinds] + [f"**{total:,}**"]
        lines.append(f"| {row.capitalize()} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cut_notice(count: int, noun: str) -> str:
    return f"… {count:,} more {noun}{'' if count == 1 else 's'} not shown (comment size limit)."


def _documents(documents: Sequence[DocumentChangeLike], cap: int) -> str:
    if not documents:
        return "### Changed documents\n\nNo documents changed."
    lines = ["### Changed documents", "", "| Document | Change | File |", "|:--|:--|:--|"]
    for doc in documents[:cap]:
        path = _cell(_code(doc.path)) if doc.path else ""
        lines.append(
            f"| {_cell(_text(doc.kind))} {_cell(_code(doc.name))} "
            f"| {_cell(_text(doc.status))} | {path} |"
        )
    if len(documents) > cap:
        lines += ["", _cut_notice(len(documents) - cap, "document")]
    return "\n".join(lines)


def _drift(data: _Input, cap: int) -> str:
    if not data.unexplained and not data.drifted:
        return ""
    lines = [
        "### Drift",
        "",
        "> [!WARNING]",
        "> Live objects were changed outside Git. Applying this plan overwrites those changes.",
    ]
    if data.unexplained:
        lines += ["", "Not explained by this pull request (their documents did not change):", ""]
        lines += [f"- {_text(kind)} {_code(name)}" for kind, name in data.unexplained[:cap]]
        if len(data.unexplained) > cap:
            lines += ["", _cut_notice(len(data.unexplained) - cap, "object")]
    if data.drifted:
        lines += ["", "Drift in this plan:", ""]
        lines += [f"- {_code(f'{v.symbol} {v.header}')}" for v in data.drifted[:cap]]
        if len(data.drifted) > cap:
            lines += ["", _cut_notice(len(data.drifted) - cap, "drifted change")]
    return "\n".join(lines)


def _diff_lines(change: ChangeView) -> list[str]:
    # A leading space makes a blocked change a diff "context" line: GitHub leaves it
    # uncoloured, so a blocked delete does not read as a red deletion.
    lead = " " if change.blocked else ""
    return [f"{lead}{change.symbol} {change.header}"] + [
        f"{lead}{change.symbol}     {line}" for line in change.body
    ]


def _details(data: _Input, shown: int) -> str:
    total = len(data.views)
    cut = total - shown
    notice = (
        f"… {cut:,} more change{'' if cut == 1 else 's'} not shown (comment size limit); "
        "run flexctl plan locally or see the plan.json artifact for the full plan."
    )
    if shown == 0:
        return notice
    keep = set(data.keep_order[:shown])
    blocks = ["\n".join(_diff_lines(v)) for i, v in enumerate(data.views) if i in keep]
    body = "\n\n".join(blocks).splitlines()
    summary = (
        f"Plan details ({total:,} change{'' if total == 1 else 's'})"
        if cut == 0
        else f"Plan details ({shown:,} of {total:,} changes shown)"
    )
    fence = _fence(body)
    lines = [
        f"<details><summary>{summary}</summary>",
        "",
        f"{fence}diff",
        *body,
        fence,
        "",
        "</details>",
    ]
    if cut:
        lines += ["", notice]
    return "\n".join(lines)


def _refused(plan: Plan) -> str:
    """First after the head: the merge job will refuse, whatever the rest says (never cut)."""
    if not plan.refusals:
        return ""
    lines = [f"### {REFUSED_HEADING}", "", "> [!CAUTION]"]
    lines += [f"> - {_text(r)}" for r in refusal_lines(plan)]
    return "\n".join(lines)


def _listed(heading: str, items: Sequence[str], cap: int, noun: str) -> str:
    if not items:
        return ""
    lines = [f"### {heading}", ""] + [f"- {_text(i)}" for i in items[:cap]]
    if len(items) > cap:
        lines += ["", _cut_notice(len(items) - cap, noun)]
    return "\n".join(lines)


def _warnings(warnings: Sequence[str], cap: int) -> str:
    if not warnings:
        return ""
    lines = ["### Warnings", ""] + [f"- {_text(w)}" for w in warnings[:cap]]
    if len(warnings) > cap:
        lines += ["", _cut_notice(len(warnings) - cap, "warning")]
    return "\n".join(lines)


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _code(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    text = scrub(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _text(text: str) -> str:
    # Free text must not open HTML (a stray <details> would swallow the rest of the comment).
    return html.escape(scrub(text), quote=False)


def _cell(text: str) -> str:
    # GitHub splits table cells on "|" even inside code spans.
    return text.replace("|", "\\|")


def render_failure(message: str, *, config_error: bool) -> str:
    """The pull-request comment of a plan that could not be made: the diagnostics
    (file:line:col) or the error, so the PR gets an explanation and not only a red check."""
    what = (
        "The config is invalid: nothing was planned or changed. Fix these and push again:"
        if config_error
        else "The plan could not be made: nothing was changed."
    )
    # A fence longer than any run of backticks in the message: nothing breaks out of it.
    longest = max((len(run) for run in re.findall(r"`+", message)), default=0)
    fence = "`" * max(3, longest + 1)
    block = f"{fence}text\n{message}\n{fence}"
    return "\n\n".join([f"{MARKER}\n## flexctl plan failed", what, block]) + "\n"
