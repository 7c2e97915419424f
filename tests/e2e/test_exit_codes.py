"""Exit codes (README table): usage errors are 1 with the usage line, never 2, which only
``--detailed-exitcode`` (and ``reconcile --once --mode report``) gives to "changes pending"."""

from __future__ import annotations

import pytest

from reconciler.cli.main import main


@pytest.mark.parametrize(
    ("argv", "usage", "message"),
    [
        (
            ["--bogus"],
            "usage: flexctl [-h]",
            "flexctl: error: the following arguments are required: COMMAND",
        ),
        (
            ["plan", "--bogus"],
            "usage: flexctl [-h]",
            "flexctl: error: unrecognized arguments: --bogus",
        ),
        (
            ["plan", "--output", "yaml"],
            "usage: flexctl plan [-h]",
            "flexctl plan: error: argument -o/--output: invalid choice: 'yaml' "
            "(choose from 'text', 'json', 'markdown')",
        ),
        (
            ["apply", "--max-deletes", "many"],
            "usage: flexctl apply [-h]",
            "flexctl apply: error: argument --max-deletes: invalid int value: 'many'",
        ),
        (
            ["nosuch"],
            "usage: flexctl [-h]",
            "flexctl: error: argument COMMAND: invalid choice: 'nosuch'",
        ),
        (
            ["controlplane", "add-user"],
            "usage: flexctl controlplane add-user [-h]",
            "flexctl controlplane add-user: error: the following arguments are required: email",
        ),
    ],
)
def test_a_usage_error_exits_1_with_the_usage_line(
    argv: list[str], usage: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(usage)
    assert message in captured.err.splitlines()[-1]


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("flexctl ")
    assert main(["plan", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: flexctl plan")
