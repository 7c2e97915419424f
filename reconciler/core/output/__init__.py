"""Plan renderers: text for terminals, JSON for saved plans, Markdown for pull requests.

Every renderer is pure (a ``Plan`` in, a ``str`` out) and deterministic: the same plan gives
the same bytes. None of them ever prints a secret's digest; see ``lines`` for the rule.
"""

from __future__ import annotations

from typing import Any, Literal

from reconciler.core.output.jsonout import plan_schema, render_json
from reconciler.core.output.lines import DocumentChangeLike
from reconciler.core.output.markdown import render_markdown
from reconciler.core.output.text import render_text
from reconciler.core.plan import Plan

Format = Literal["text", "json", "markdown"]

__all__ = [
    "DocumentChangeLike",
    "Format",
    "plan_schema",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]


#: Pull-request context (``plan --base``): every format shows the changed documents and the
#: unexplained drift; ``max_bytes`` (the comment size limit) is Markdown's alone.
_CONTEXT = frozenset({"changed_documents", "unexplained_drift", "max_bytes"})


def render(plan: Plan, fmt: Format, *, color: bool = False, **kw: Any) -> str:
    """Render ``plan`` as ``fmt``. ``color`` applies to text only; ``kw`` is the pull-request
    context (changed_documents, unexplained_drift) every format shows, and Markdown's
    max_bytes. Unknown options are a TypeError, an unknown format a ValueError."""
    unknown = sorted(set(kw) - _CONTEXT)
    if unknown:
        raise TypeError(f"unknown render options {unknown}")
    if fmt == "markdown":
        return render_markdown(plan, **kw)
    pull_request = {k: v for k, v in kw.items() if k != "max_bytes"}
    if fmt == "text":
        return render_text(plan, color=color, **pull_request)
    if fmt == "json":
        return render_json(plan, **pull_request)
    raise ValueError(f"unknown output format {fmt!r} (expected text, json or markdown)")
