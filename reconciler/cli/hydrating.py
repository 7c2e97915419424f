"""Hydration for the commands that render (``render``, ``apply``, ``reconcile --mode heal``):
the ``--to-git`` options turned into a target, rendering for it, and committing.

GitPython is imported only when ``--to-git`` is given (``render`` stays free of it).
The argument checks live here so the three commands refuse the same mistakes the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config.desired import DesiredState
from reconciler.render import render_all
from reconciler.statedir import StateDir

if TYPE_CHECKING:  # GitPython is imported only when a command hydrates
    from reconciler.gitops.hydrate import GitTarget


def target_from_args(args: argparse.Namespace) -> GitTarget | None:
    url = getattr(args, "to_git", None)
    branch = getattr(args, "branch", None)
    if not url and not branch:
        return None
    from reconciler.gitops.hydrate import make_target

    return make_target(url, branch, str(getattr(args, "to_git_path", "") or ""))


def render_for(desired: DesiredState, target: GitTarget | None) -> dict[str, str]:
    if target is None:
        return render_all(desired)
    return render_all(desired, delivery=target.delivery())


def cache_dir(state_dir: Path) -> Path:
    return StateDir(state_dir).ensure().subdir("git")
