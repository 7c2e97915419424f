"""Every local check before anything remote (issue 12 item 2): an override the chart does
not read is reported by validate at its file:line:col, makes plan fail before it contacts
the control plane, and makes apply fail before its first request (nothing changed, no
credentials written)."""

from __future__ import annotations

from ..engine.harness import EXAMPLE_USERS
from .conftest import Cli

DATAPLANE = "dataplanes/aws-us-east-1.yaml"


def _typo(cli: Cli) -> None:
    path = cli.config / DATAPLANE
    path.write_text(path.read_text() + "values:\n  workloadLauncher:\n    replicaCountt: 2\n")


def test_an_unknown_chart_key_fails_validate_plan_and_apply_before_any_change(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded plane
    cli.add_users(*EXAMPLE_USERS)
    before = cli.dump()
    _typo(cli)
    lines = (cli.config / DATAPLANE).read_text().splitlines()
    line = len(lines)  # the key is on the last line
    where = f"config/{DATAPLANE}:{line}:5"

    validate = cli("validate", "config")
    assert validate.code == 1
    assert validate.out.startswith(f"{where}: error: ")
    assert "replicaCountt" in validate.out

    plan = cli("plan", "config", "--embedded")
    assert plan.code == 1
    assert plan.out == ""  # failed before it said which control plane: nothing contacted
    assert plan.err.startswith(f"{where}: error: ")

    apply = cli("apply", "config", "--embedded", "--yes")
    assert apply.code == 1
    assert apply.err.startswith(f"{where}: error: ")
    assert "Traceback" not in apply.err
    assert cli.dump() == before  # not one write reached the control plane
    assert not (cli.state / "credentials").exists()
    assert not (cli.state / "rendered").exists()


def test_a_markdown_plan_of_an_invalid_config_is_a_comment_with_the_diagnostics(
    cli: Cli,
) -> None:
    _typo(cli)
    where = f"config/{DATAPLANE}:{len((cli.config / DATAPLANE).read_text().splitlines())}:5"
    result = cli("plan", "config", "--embedded", "--output", "markdown")
    assert result.code == 1
    assert result.out.startswith("<!-- flexctl")
    assert "## flexctl plan failed" in result.out
    assert "The config is invalid: nothing was planned or changed." in result.out
    assert f"```text\n{where}: error: " in result.out
    assert result.err.startswith(f"{where}: error: ")  # the job log has it too
    text = cli("plan", "config", "--embedded")
    assert text.code == 1 and text.out == ""  # text and JSON: the error alone, on stderr
