"""Entry point: parse arguments, dispatch to one subcommand module, render errors once.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func`` to a ``run(args) -> int``. This module owns exit codes and the
single error handler: a ``FlexctlError`` is printed as its ``render()`` with exit 1, an
interrupt exits 130, and nothing else is caught so that real bugs stay visible in tests.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.errors import FlexctlError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

#: Subcommand modules under reconciler.cli, in the order `--help` lists them.
COMMANDS = (
    "validate",
    "plan",
    "apply",
    "render",
    "verify",
    "schema",
    "import_",
    "reconcile",
    "controlplane",
    "state",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flexctl",
        description="Declarative GitOps reconciler for Airbyte Enterprise Flex and self-managed "
        "Airbyte.",
    )
    parser.add_argument("--version", action="version", version=f"flexctl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"reconciler.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reconciler.cli.{name}":
                raise
            continue  # a subcommand not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except FlexctlError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
