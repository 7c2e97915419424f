"""Control characters never reach a terminal raw (issue 17 item 9): a live name carrying an
ESC sequence or a bidirectional override, shown by plan in every format and by apply, and a
config value carrying one, shown by validate, all come out escaped; JSON stays valid."""

from __future__ import annotations

import asyncio
import io
import json
import re

from reconciler.terminal import EscapingWriter, escape_controls

from ..engine.harness import EXAMPLE_USERS, edit
from .conftest import Cli

HOSTILE = "marketing-eu\x1b[2J\x1b[1A\r\u202eue-gnitekram\u200b"
RAW = ("\x1b", "\r", "\u202e", "\u200b")


OWN_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def _clean(text: str) -> None:
    text = OWN_COLOURS.sub("", text)
    for char in RAW:
        assert char not in text, (char, text)


def test_escape_controls_writes_every_unsafe_character_visibly() -> None:
    assert escape_controls("a\x1b[2Jb\rc\x7fd") == "a\\x1b[2Jb\\x0dc\\x7fd"
    assert escape_controls("\u202eabc\u2066\u200b\ufeff\x85") == (
        "\\u202eabc\\u2066\\u200b\\ufeff\\u0085"
    )
    # Newlines, tabs and ordinary non-ASCII text are left alone.
    assert escape_controls("straße\tZürich\n東京") == "straße\tZürich\n東京"


def test_json_through_the_escaping_stream_is_the_same_json() -> None:
    value = {"name": HOSTILE, "ok": "plain"}
    sink = io.StringIO()
    EscapingWriter(sink).write(json.dumps(value, ensure_ascii=False))  # type: ignore[arg-type]
    _clean(sink.getvalue())
    assert json.loads(sink.getvalue()) == value


def test_a_hostile_live_name_is_escaped_in_plan_and_apply_output(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0
    cli.add_users(*EXAMPLE_USERS)
    assert cli("apply", "config", "--embedded", "--yes").code == 0

    async def rename() -> None:
        async with cli.api() as client:
            ws = next(w for w in await client.list_workspaces() if w["name"] == "marketing-eu")
            await client.update_workspace(ws["workspaceId"], name=HOSTILE)

    asyncio.run(rename())
    text = cli("plan", "config", "--embedded", "--color", "always")
    assert text.code == 0, text.err
    _clean(text.out + text.err)
    assert "\\x1b[2J" in text.out  # the live name is shown, visibly escaped
    assert "\x1b[32m" in text.out or "\x1b[33m" in text.out  # flexctl's own colours survive
    markdown = cli("plan", "config", "--embedded", "--output", "markdown")
    _clean(markdown.out + markdown.err)
    as_json = cli("plan", "config", "--embedded", "--output", "json")
    _clean(as_json.out + as_json.err)
    # The JSON plan still carries the exact live name (escapes are JSON's own).
    blocked = {b["name"] for b in json.loads(as_json.out)["blocked"] if b["kind"] == "workspace"}
    assert blocked == {HOSTILE}
    # The renamed live workspace is unmanaged now: its delete is blocked, so apply recreates
    # the declared one and ends with exit 1 naming what it did not do, escaped.
    applied = cli("apply", "config", "--embedded", "--yes")
    assert applied.code == 1
    _clean(applied.out + applied.err)
    assert "delete workspace marketing-eu\\x1b[2J" in applied.out
    again = cli("plan", "config", "--embedded", "--detailed-exitcode")
    assert again.code == 2  # only the three blocked deletes are left
    assert again.body.splitlines()[-1].startswith("Plan: 0 to create, 0 to update, 0 to delete")


def test_a_hostile_config_value_is_escaped_in_validate_errors(cli: Cli) -> None:
    edit(cli.config / "workspaces/marketing-eu.yaml", "region: ", 'region: "EU\\e[2J\\u202e" #')
    result = cli("validate", "config")
    assert result.code == 1
    _clean(result.out + result.err)
    assert "region name 'EU\\x1b[2J\\u202e'" in result.out, result.out
