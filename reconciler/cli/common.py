"""Arguments shared by several subcommands, so every command spells them the same way."""

from __future__ import annotations

import argparse
from pathlib import Path


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
        "(default: .flexctl)",
    )
