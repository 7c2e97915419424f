"""``reconcile --mode heal`` and local credentials (issue 11 item 3): in CI (or with a shared
state) a heal that would create data planes with file sinks is refused, naming them, and
creates nothing; ``--allow-local-credentials`` lets it write them, as for plan and apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from .example import flexctl
from .gitrepos import Remote


def test_heal_in_ci_refuses_file_sinks_until_allowed(
    example_remote: Remote, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    argv = ("reconcile", "--repo", example_remote.url, "--once", "--mode", "heal")
    assert flexctl(*argv) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "refusing to create data planes with local credentials (CI is set" in text
    assert "dataplane aws-us-east-1/us-east-1-primary" in text
    assert "changes=0 applied=0" in text
    assert not list(Path(".flexctl").glob("credentials/*"))

    assert flexctl(*argv, "--allow-local-credentials") == 0
    healed = capsys.readouterr().out
    # Everything but the grants of users who have not signed in yet (those wait: drift).
    assert "changes=10 applied=10" in healed
    assert len(list(Path(".flexctl").glob("credentials/*"))) == 2
