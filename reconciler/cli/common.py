"""Arguments shared by several subcommands, so every command spells them the same way."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path


def announce_target(target: Mapping[str, str]) -> None:
    """The first line of a command that talks to a control plane but prints no plan."""
    from reconciler.core.output.lines import target_line

    print(target_line(target), flush=True)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config",
        nargs="?",
        default=".",
        type=Path,
        metavar="CONFIG",
        help="directory of YAML documents (default: the current directory)",
    )


def add_state_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".flexctl"),
        help="where inventory, credentials, journal, audit log and the embedded control plane live "
        "(default: .flexctl); with a shared --state, the local working and cache directory",
    )
    parser.add_argument(
        "--state",
        metavar="URL",
        default=None,
        help="where the inventory, journal, lock and audit log live: local, s3://BUCKET/PREFIX "
        "or git+URL#REF (default: $FLEXCTL_STATE, else the Organization's state.url, else local)",
    )


def add_embedded_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="use the embedded control plane in the state directory, whatever else is "
        "configured (in CI too); without it, the embedded control plane is used only when no "
        "control plane is configured at all and CI is unset",
    )


def add_timeout_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="overall deadline for a run that is throttled (429): reads keep being retried with "
        "jittered backoff until it passes, then the run fails with the count of throttled "
        "answers (default: 3600)",
    )


def add_to_git_arguments(parser: argparse.ArgumentParser) -> None:
    """``--to-git URL --branch B [--to-git-path P]``: commit the rendered folders to a branch
    the clusters sync from (``--path`` already names the config's folder in ``--repo``)."""
    group = parser.add_argument_group("hydration (commit the rendered folders to Git)")
    group.add_argument(
        "--to-git",
        metavar="URL|PATH",
        help="commit the rendered data-plane folders to this Git repository (one commit per "
        "change, none when nothing changed; pushed without force, retried when the branch moved)",
    )
    group.add_argument(
        "--branch", metavar="B", help="the branch of --to-git the clusters sync from (required)"
    )
    group.add_argument(
        "--to-git-path",
        default="",
        metavar="P",
        help="folder in the --to-git repository for the data-plane folders (default: its root)",
    )
