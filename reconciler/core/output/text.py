"""A plan as terminal text, Terraform-like: the control plane it was made against, one block
per change in plan order, what will not be done (blocked, pending, refused), then the warnings,
then a one-line footer.

Every piece of data is escaped (``reconciler.terminal``) before colour codes are added, so
the result can be written to the raw stream. Colour is plain ANSI and only when asked for
(``color=False`` for CI logs and files): green ``+``, yellow ``~``, red ``-``, magenta ``±``,
and blocked changes dim. Pure: returns a string.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.output.lines import (
    BLOCKED_HEADING,
    PENDING_HEADING,
    REFUSED_HEADING,
    ChangeView,
    DocumentChangeLike,
    blocked_lines,
    document_lines,
    footer,
    note_lines,
    pending_lines,
    refusal_lines,
    target_line,
    unexplained_lines,
    view,
    warning_lines,
)
from reconciler.core.plan import Plan
from reconciler.terminal import escape_controls

INDENT = "    "

_SYMBOL_COLOR = {"+": "32", "~": "33", "-": "31", "±": "35"}
_DIM = "2"
_BOLD = "1"
DOCUMENTS_HEADING = "Changed documents (this pull request)"
UNEXPLAINED_HEADING = (
    "Drift not explained by this pull request (changed outside Git; applying overwrites it)"
)
_WARN = "1;33"
_REFUSED = "1;31"


def _paint(text: str, code: str, *, color: bool) -> str:
    """``text`` (data: escaped here) in colour ``code``."""
    text = escape_controls(text)
    return f"\x1b[{code}m{text}\x1b[0m" if color and text else text


def _block(change: ChangeView, *, color: bool) -> list[str]:
    code = _DIM if change.blocked else _SYMBOL_COLOR[change.symbol]
    lines = [_paint(f"{change.symbol} {change.header}", code, color=color)]
    # Field lines stay uncoloured so values read plainly; a blocked block dims as a whole.
    lines.extend(
        _paint(INDENT + line, _DIM, color=color and change.blocked) for line in change.body
    )
    return lines


def render_text(
    plan: Plan,
    *,
    color: bool,
    changed_documents: Sequence[DocumentChangeLike] | None = None,
    unexplained_drift: Sequence[tuple[str, str]] = (),
) -> str:
    """With ``plan --base``: the documents the pull request changed and the drift it does
    not explain, before the footer (the same facts as the Markdown comment)."""
    lines: list[str] = []
    if plan.target:
        lines += [escape_controls(target_line(plan.target)), ""]
    for change in plan.changes:
        lines.extend(_block(view(change), color=color))
        lines.append("")
    for heading, items, code in (
        (BLOCKED_HEADING, blocked_lines(plan), _DIM),
        (PENDING_HEADING, pending_lines(plan), _WARN),
        (REFUSED_HEADING, refusal_lines(plan), _REFUSED),
    ):
        if items:
            lines.append(_paint(f"{heading}:", code, color=color))
            lines.extend(f"  - {escape_controls(item)}" for item in items)
            lines.append("")
    if changed_documents is not None:
        lines.append(_paint(f"{DOCUMENTS_HEADING}:", _BOLD, color=color))
        shown = document_lines(changed_documents) or ("none",)
        lines.extend(f"  - {escape_controls(item)}" for item in shown)
        lines.append("")
    if unexplained_drift:
        lines.append(_paint(f"{UNEXPLAINED_HEADING}:", _WARN, color=color))
        lines.extend(f"  - {escape_controls(i)}" for i in unexplained_lines(unexplained_drift))
        lines.append("")
    for line in note_lines(plan):
        label, _, rest = line.partition(" ")
        lines.append(f"{_paint(label, _BOLD, color=color)} {escape_controls(rest)}")
    if plan.notes:
        lines.append("")
    for warning in warning_lines(plan):
        label, _, rest = warning.partition(" ")
        lines.append(f"{_paint(label, _WARN, color=color)} {escape_controls(rest)}")
    if plan.warnings:
        lines.append("")
    lines.append(_paint(footer(plan), _BOLD, color=color))
    return "\n".join(lines) + "\n"
