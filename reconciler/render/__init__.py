"""Render: Helm values and manifests per data plane (pure), and writing them under ``--out``.

    render_all(desired) -> {relative path: text}     pure, deterministic, raises RenderProblems
    write_tree(out, files) / check_tree(out, files)  the file-system edge (render.tree)
    unified_diff(out, files, diff)                   what write_tree would change, as a diff

Must not import httpx, git or kubernetes, and never sees a secret value: the Secret's
values are delivered by ``reconciler.sinks`` or an ExternalSecret, never under ``--out``.
"""

from __future__ import annotations

from reconciler.render.problems import RenderProblems
from reconciler.render.render import MARKER_FILE, render_all, render_dataplane
from reconciler.render.tree import TreeDiff, WriteReport, check_tree, unified_diff, write_tree

__all__ = [
    "MARKER_FILE",
    "RenderProblems",
    "TreeDiff",
    "WriteReport",
    "check_tree",
    "render_all",
    "render_dataplane",
    "unified_diff",
    "write_tree",
]
