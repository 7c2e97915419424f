"""-v/--verbose and FLEXCTL_LOG: how loud, what is printed, and never a secret."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import logs
from reconciler.cli.main import build_parser, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
CANARY = "canary-Secret-7f3a9c"


@pytest.fixture(autouse=True)
def _quiet_again() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    logs.configure(0)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("argv", "count"),
    [
        (["validate", "."], 0),
        (["-v", "validate", "."], 1),
        (["validate", ".", "-v"], 1),
        (["-vv", "validate", "."], 2),
        (["validate", "-vvv", "."], 3),
        (["-v", "validate", ".", "--verbose"], 1),
    ],
)
def test_verbose_before_or_after_the_command(argv: list[str], count: int) -> None:
    assert build_parser(argv).parse_args(argv).verbose == count


@pytest.mark.parametrize(
    ("count", "env", "level"),
    [
        (0, {}, 0),
        (0, {"FLEXCTL_LOG": "debug"}, 2),
        (0, {"FLEXCTL_LOG": " INFO "}, 1),
        (0, {"FLEXCTL_LOG": "error"}, -1),
        (1, {"FLEXCTL_LOG": "debug"}, 1),  # the flag wins
    ],
)
def test_verbosity_from_flags_and_environment(count: int, env: dict[str, str], level: int) -> None:
    assert logs.verbosity(count, env) == level


def test_an_unknown_flexctl_log_is_an_error_naming_the_levels(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEXCTL_LOG", "loud")
    assert main(["validate", str(EXAMPLE)]) == 1
    assert capsys.readouterr().err == (
        "error: FLEXCTL_LOG='loud' is not a log level: use one of debug, error, info, warning\n"
    )


def emit_all() -> None:
    for name in ("reconciler.engine", "httpx"):
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
            logging.getLogger(name).log(level, "%s %s", name, logging.getLevelName(level))


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@pytest.mark.parametrize(
    ("level", "ours", "theirs"),
    [(-1, "ERROR", "ERROR"), (0, "WARNING", "WARNING"), (1, "INFO", "WARNING"),
     (2, "DEBUG", "INFO"), (3, "DEBUG", "DEBUG")],
)  # fmt: skip
def test_each_level_prints_flexctl_and_the_libraries_apart(
    level: int, ours: str, theirs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure(level)
    emit_all()
    printed = {line.rsplit(": ", 1)[1] for line in capsys.readouterr().err.splitlines()}
    expected = {f"reconciler.engine {lv}" for lv in LEVELS[LEVELS.index(ours) :]}
    expected |= {f"httpx {lv}" for lv in LEVELS[LEVELS.index(theirs) :]}
    assert printed == expected


def test_warnings_keep_the_short_form_and_verbose_names_the_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure(0)
    logging.getLogger("reconciler.api").warning("GET /regions: retrying")
    logs.configure(1)
    logging.getLogger("reconciler.api").warning("GET /regions: retrying")
    assert capsys.readouterr().err.splitlines() == [
        "flexctl: GET /regions: retrying",
        "flexctl: WARNING reconciler.api: GET /regions: retrying",
    ]


def test_registered_secrets_and_url_passwords_never_reach_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.add_secret(CANARY)
    logs.configure(3)
    log = logging.getLogger("reconciler.engine")
    log.warning("token %s for https://bot:%s@git.example.com/org/repo.git", CANARY, "hunter2pw")
    try:
        raise RuntimeError(f"lost https://bot:hunter2pw@git.example.com ({CANARY})")
    except RuntimeError:
        log.debug("cycle raised", exc_info=True)
    # A library's logger nobody else configures (the kubernetes client sets urllib3's level to
    # WARNING when a Configuration is made, which made this test depend on the tests before it).
    logging.getLogger("somelibrary.http").debug("header Authorization: Bearer %s", CANARY)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: lost https://***@git.example.com (***)" in err
    assert "token *** for https://***@git.example.com/org/repo.git" in err
    assert "Bearer ***" in err
    assert CANARY not in err
    assert "hunter2pw" not in err


def test_the_api_client_registers_its_secret_for_the_log() -> None:
    from reconciler.api.problems import Redactor

    Redactor(CANARY + "-client")
    assert logs.scrub(f"x {CANARY}-client y") == "x *** y"


def test_the_handler_writes_to_the_stderr_of_the_moment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logs.configure(0)
    logging.getLogger("reconciler").warning("first")
    assert capsys.readouterr().err == "flexctl: first\n"
    replaced: list[str] = []

    class Sink:
        def write(self, text: str) -> int:
            replaced.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", Sink())
    logging.getLogger("reconciler").warning("second")
    assert "".join(replaced) == "flexctl: second\n"


def test_a_log_call_with_the_wrong_arguments_is_still_scrubbed() -> None:
    # The filter formats the message itself: a bad call must not raise out of the handler.
    logs.add_secret(CANARY)
    record = logging.LogRecord("reconciler.engine", logging.WARNING, "x.py", 1, "two %s %s",
                               (CANARY,), None)  # fmt: skip
    assert logs.ScrubFilter().filter(record) is True
    assert record.getMessage() == "two %s %s ('***',)"
