"""``flexctl completion bash|zsh|fish``: scripts from the parser, exercised in the real shells.

bash is always there; zsh and fish are run where installed (``apt-get install zsh fish``), and
the fish script is also checked against the parser word by word, so it is tested everywhere.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.completion import script
from reconciler.cli.main import COMMANDS, build_parser, main


def generated(shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["completion", shell]) == 0
    path = tmp_path / f"flexctl.{shell}"
    path.write_text(capsys.readouterr().out)
    return path


def bash_complete(path: Path, *words: str) -> list[str]:
    line = " ".join(words)
    program = (
        f"source {path}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
        '_shtab_flexctl; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_bash_completes_commands_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated("bash", tmp_path, capsys)
    assert sorted(bash_complete(path, "flexctl", "re")) == ["reconcile", "render"]
    assert set(bash_complete(path, "flexctl", "")) >= set(COMMANDS)
    assert bash_complete(path, "flexctl", "plan", "--out") == ["--output", "--out"]
    assert bash_complete(path, "flexctl", "plan", "--output", "''") == ["text", "json", "markdown"]
    assert bash_complete(path, "flexctl", "state", "") == ["show", "migrate", "unlock"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = generated("zsh", tmp_path, capsys)
    assert path.read_text().startswith("#compdef flexctl")
    done = subprocess.run(
        [
            "zsh",
            "-c",
            f"autoload -U compinit; compinit -u; source {path}; whence -w _shtab_flexctl",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "_shtab_flexctl: function", done.stderr


def fish_complete(path: Path, line: str) -> list[str]:
    program = f"source {path}; complete -C '{line}'"
    done = subprocess.run(["fish", "-c", program], capture_output=True, text=True, check=True)
    return [row.split("\t")[0] for row in done.stdout.splitlines()]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_actions_options_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated("fish", tmp_path, capsys)
    assert fish_complete(path, "flexctl re") == ["reconcile", "render"]
    assert fish_complete(path, "flexctl controlplane ") == [
        "add-connection",
        "add-user",
        "serve",
        "status",
    ]
    assert fish_complete(path, "flexctl plan --output ") == ["json", "markdown", "text"]
    assert "--verbose" in fish_complete(path, "flexctl state show --")
    assert fish_complete(path, "flexctl completion ") == ["bash", "fish", "zsh"]


def every_parser(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += every_parser(child, (*path, name))
    return found


def test_the_fish_script_names_every_command_and_option_of_the_parser() -> None:
    parser = build_parser()
    text = script(parser, "fish")
    for name in COMMANDS:
        assert f"-n __fish_use_subcommand -f -a {name} -d " in text
    for path, sub in every_parser(parser):
        for action in sub._actions:
            for option in action.option_strings:
                flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
                assert flag in text, (path, option)
    assert "__fish_seen_subcommand_from state; and not __fish_seen_subcommand_from show" in text


def test_every_output_option_has_the_short_form() -> None:
    outputs = [
        (path, action.option_strings)
        for path, sub in every_parser(build_parser())
        for action in sub._actions
        if "--output" in action.option_strings
    ]
    assert {p for p, _ in outputs} >= {("validate",), ("plan",), ("reconcile",), ("state", "show")}
    for path, strings in outputs:
        assert strings == ["-o", "--output"], path


@pytest.mark.parametrize("command", [["validate"], ["plan", "--embedded"]])
def test_dash_o_json_is_json(command: list[str], tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
    argv = [*command, str(example), "--state-dir", str(tmp_path / "state"), "-o", "json"]
    env = {"US_ANALYTICS_SLACK_WEBHOOK": "https://hooks.example.invalid/x", "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 1
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err
