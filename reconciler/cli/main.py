"""Entry point: parse arguments, dispatch to one subcommand module, render errors once.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func`` to a ``run(args) -> int``. This module owns exit codes and the
single error handler: a ``FlexctlError`` is printed as its ``render()`` with exit 1, an
interrupt exits 130, and nothing else is caught so that real bugs stay visible in tests.
A usage error exits 1 with the usage line (argparse's own 2 is the code ``--detailed-exitcode``
gives to "changes pending").

Start-up is part of the interface (CI runs flexctl on every push, a CronJob every few
minutes), so ``main`` imports only the module of the subcommand named on the command line:
the others appear in ``--help`` as a name and a one-line summary taken from ``COMMANDS``,
which tests keep equal to what each module registers. Nothing heavy (HTTP, git, rich,
pydantic, YAML) is imported here. ``-v`` is accepted before the command and after it, at
every level; logging is configured (``reconciler.logs``) once the arguments are parsed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from reconciler import __version__
from reconciler.collector import freeze_start_up
from reconciler.errors import FlexctlError
from reconciler.terminal import guarded_streams

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

#: Subcommand name -> (module under reconciler.cli, the ``help`` its ``register`` gives),
#: in the order ``--help`` lists them. A new subcommand is one entry here plus its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check the config repository (exit 0 valid, 1 invalid)"),
    "plan": ("plan", "show the changes apply would make"),
    "apply": ("apply", "apply the config (or a saved plan)"),
    "render": ("render", "render Helm values and manifests per data plane into --out"),
    "verify": ("verify", "check that delivered data-plane credentials work"),
    "schema": ("schema", "write or check the JSON Schemas of the config documents"),
    "import": ("import_", "write YAML for what exists live (adoption)"),
    "reconcile": (
        "reconcile",
        "fetch a Git ref and report or heal drift, once or on an interval",
    ),
    "controlplane": ("controlplane", "run or inspect the embedded control plane"),
    "state": ("state", "show, migrate or unlock the state backend"),
    "completion": ("completion", "print a shell completion script (bash, zsh or fish)"),
}


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error exits 1 (2 means "changes pending")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only the subcommand it names is registered in full.

    Without ``argv`` every subcommand is registered (each module imported), as tests and
    documentation tools want.
    """
    parser = Parser(
        prog="flexctl",
        description="Declarative GitOps reconciler for Airbyte Enterprise Flex and self-managed "
        "Airbyte.",
    )
    parser.add_argument("--version", action="version", version=f"flexctl {__version__}")
    _add_verbose(parser, default=0)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    named = None if argv is None else _command_named(argv)
    for name, (module, summary) in COMMANDS.items():
        if argv is None or name == named:
            importlib.import_module(f"reconciler.cli.{module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    _add_verbose_below(subparsers)
    return parser


def _add_verbose_below(subparsers: argparse._SubParsersAction[Any]) -> None:
    """-v after the command too (``flexctl state show -v``); SUPPRESS keeps one given before."""
    for sub in subparsers.choices.values():
        _add_verbose(sub, default=argparse.SUPPRESS)
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_verbose_below(action)


def _add_verbose(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="log more: -v info, -vv debug (with tracebacks), -vvv libraries too; "
        "or FLEXCTL_LOG=debug|info|warning|error",
    )


def _command_named(argv: Sequence[str]) -> str | None:
    """The first word that is not an option: the top-level options take no values."""
    return next((word for word in argv if not word.startswith("-")), None)


#: pydantic looks for plugins in every installed distribution's entry points when it makes its
#: first validator (7 ms and 3% of a plan's start-up instructions here); flexctl uses none.
#: Set to anything else (an empty value included) to have pydantic load them.
PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; everything it writes to stdout and stderr has its control
    characters escaped (``reconciler.terminal``)."""
    os.environ.setdefault(PYDANTIC_PLUGINS, "__all__")
    with guarded_streams():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(words).parse_args(words)
    except SystemExit as exc:  # --help, --version and usage errors; subparsers inherit Parser
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    freeze_start_up()
    # Here, not at the top: --help and --version (handled above) never pay for logging.
    import logging

    from reconciler.logs import configure, verbosity

    try:
        configure(verbosity(args.verbose, os.environ))
        return int(args.func(args))
    except FlexctlError as exc:
        # The cause chain (a library's exception) is for -vv; the user reads render().
        logging.getLogger("reconciler.cli").debug("%s failed", args.command, exc_info=True)
        print(exc.render(), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
