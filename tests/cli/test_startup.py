"""Start-up: the parser imports only the subcommand named, and nothing heavy on the light paths.

Each probe runs flexctl in a fresh interpreter and reads back ``sys.modules`` at exit, so an
import added anywhere on the path (not only in cli.main) fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.main import COMMANDS, build_parser, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flex-config"

#: Top-level packages that cost start-up time and that no light path needs.
HEAVY = frozenset(
    {
        "boto3",
        "botocore",
        "deepdiff",
        "filelock",
        "git",
        "httpx",
        "hvac",
        "jsonschema",
        "kubernetes_validate",
        "prometheus_client",
        "rich",
        "starlette",
        "uvicorn",
    }
)
#: What loading and validating a config needs (models, the two YAML readers, the digest's
#: JSON), absent elsewhere.
CONFIG = frozenset({"pydantic", "ruamel", "yaml", "orjson"})

PROBE = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(
    {m.split(".")[0] for m, module in sys.modules.items() if module is not None}
))))
from reconciler.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


#: What only writing or rendering manifests needs (the file sink, render).
SCHEMAS = frozenset({"jsonschema", "kubernetes_validate", "referencing"})


def imported_by(*argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return done.returncode, set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    code, modules = imported_by(*argv)
    assert code == 0
    assert modules & (HEAVY | CONFIG) == set()


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_do_not_load_logging(argv: list[str]) -> None:
    # Logging is configured after parsing (reconciler.logs); these exit before that.
    code, modules = imported_by(*argv)
    assert code == 0
    assert "logging" not in modules


def test_validate_imports_only_what_loading_needs() -> None:
    code, modules = imported_by("validate", str(EXAMPLE))
    assert code == 0
    assert modules & HEAVY == set()
    assert modules >= CONFIG


def test_schema_imports_nothing_heavy() -> None:
    code, modules = imported_by("schema")
    assert code == 0
    assert modules & HEAVY == set()


def test_plan_imports_no_manifest_schemas(tmp_path: Path) -> None:
    env = {**os.environ, "US_ANALYTICS_SLACK_WEBHOOK": "https://hooks.example.invalid/x"}
    env.pop("CI", None)
    argv = ["plan", str(EXAMPLE), "--embedded", "--state-dir", str(tmp_path / "state")]
    code, modules = imported_by(*argv, env=env)
    assert code == 0
    assert modules >= {"httpx", "reconciler"}
    assert modules & SCHEMAS == set()
    # httpx's command-line client (reconciler/__init__.py; the embedded server's uvicorn still
    # brings click) and deepdiff (only when an essence differs: this plan only creates) stay out.
    assert modules & {"pygments", "deepdiff"} == set()


def test_rendering_still_imports_the_schemas(tmp_path: Path) -> None:
    code, modules = imported_by("render", str(EXAMPLE), "--out", str(tmp_path / "out"))
    assert code == 0
    assert modules >= SCHEMAS


def test_plan_against_a_served_control_plane_imports_no_lock_or_retry(tmp_path: Path) -> None:
    # A plan only reads the state: the local backend's compare-and-swap lock (filelock) is
    # imported when a document is written, tenacity when a call failed (issue 18 item 5).
    # The control plane runs in its own process: an embedded one brings filelock for its files.
    from tests.state.shared import serve_control_plane

    server, api_env = serve_control_plane(tmp_path / "served")
    try:
        env = {**os.environ, **api_env, "US_ANALYTICS_SLACK_WEBHOOK": "https://x.invalid/x"}
        env.pop("CI", None)
        argv = ["plan", str(EXAMPLE), "--state-dir", str(tmp_path / "state")]
        code, modules = imported_by(*argv, env=env)
    finally:
        server.stop()
    assert code == 0
    assert modules >= {"httpx", "reconciler"}
    assert modules & {"filelock", "tenacity"} == set()


def test_the_probe_sees_a_heavy_path() -> None:
    code, modules = imported_by("apply", "--help")
    assert code == 0
    assert modules >= {"httpx", "filelock"}


def test_lazy_help_lists_what_the_modules_register() -> None:
    assert build_parser([]).format_help() == build_parser().format_help()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_subcommand_is_registered_when_named(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([name, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: flexctl {name} ")


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # 1, not argparse's 2: that code means "changes pending" (issue 12 item 6).
    assert main(["valdate", "."]) == 1
    assert "invalid choice: 'valdate'" in capsys.readouterr().err


PLUGIN_PROBE = """
import atexit, json, os, sys
def report():
    from pydantic.plugin import _loader
    print(json.dumps([_loader._plugins is not None, os.environ.get("PYDANTIC_DISABLE_PLUGINS")]))
atexit.register(report)
from reconciler.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("given", "scanned"), [(None, False), ("", True)])
def test_validate_does_not_scan_for_pydantic_plugins_unless_asked(
    given: str | None, scanned: bool
) -> None:
    """pydantic reads every distribution's entry points for plugins on its first validator;
    flexctl turns that off by default, and an empty ``PYDANTIC_DISABLE_PLUGINS`` turns it on."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    done = subprocess.run(
        [sys.executable, "-c", PLUGIN_PROBE, "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == [scanned, "__all__" if given is None else ""]
