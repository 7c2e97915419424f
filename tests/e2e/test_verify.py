"""Issue 11 item 5 and issue 17 item 3: ``flexctl verify`` reads every sink kind, checks that
the stored id is the data plane's own, and fails at once, naming the URL, when an endpoint
does not answer (no retries to wait out)."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from ..engine.harness import EXAMPLE_USERS
from .conftest import Cli, Served, free_port

US = "aws-us-east-1/us-east-1-primary"
AU = "aws-ap-southeast-2/ap-southeast-2-primary"


def rows(out: str) -> dict[str, tuple[str, str]]:
    """dataplane -> (status, detail) from verify's table."""
    found = {}
    for line in out.splitlines()[1:]:
        parts = line.split("  ")
        cells = [p.strip() for p in parts if p.strip()]
        if len(cells) >= 3 and "/" in cells[0]:
            found[cells[0]] = (cells[1], cells[-1])
    return found


def live_ids(cli: Cli) -> dict[str, str]:
    async def go() -> dict[str, str]:
        async with cli.api() as client:
            regions = {
                r["regionId"]: r["name"]
                for r in await client.list_regions(ORG)
                if r["organizationId"] == ORG
            }
            return {
                f"{regions[d['regionId']]}/{d['name']}": d["dataplaneId"]
                for d in await client.list_dataplanes(list(regions))
            }

    return asyncio.run(go())


ORG = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"


def test_a_sink_holding_another_data_planes_credentials_is_not_ok(cli: Cli) -> None:
    assert cli("plan", "config").code == 0
    cli.add_users(*EXAMPLE_USERS)
    assert cli("apply", "config", "--yes").code == 0
    assert cli("verify", "config").code == 0
    ids = live_ids(cli)
    creds = cli.state / "credentials"
    shutil.copy(
        creds / "aws-ap-southeast-2--ap-southeast-2-primary.yaml",
        creds / "aws-us-east-1--us-east-1-primary.yaml",
    )
    result = cli("verify", "config")
    assert result.code == 1
    assert rows(result.out)[US] == (
        "wrong data plane",
        f"file .flexctl/credentials/aws-us-east-1--us-east-1-primary.yaml holds the "
        f"credentials of dataplane {ids[AU]}, not of {ids[US]}",
    )
    assert rows(result.out)[AU][0] == "ok"
    assert result.out.splitlines()[-1] == "1 of 2 data plane(s) ok"


def test_verify_on_a_served_control_plane(cli: Cli, served: Served) -> None:
    for email in EXAMPLE_USERS:
        served.plane.add_user(email)
    assert cli("apply", "config", "--yes").code == 0
    result = cli("verify", "config")
    assert result.code == 0, result.out
    assert {v[0] for v in rows(result.out).values()} == {"ok"}


def test_an_unreachable_token_url_fails_at_once_naming_it(cli: Cli, served: Served) -> None:
    for email in EXAMPLE_USERS:
        served.plane.add_user(email)
    assert cli("apply", "config", "--yes").code == 0
    dead = f"http://127.0.0.1:{free_port()}"
    org = cli.config / "organization.yaml"
    org.write_text(org.read_text().replace(served.root, dead))
    result = cli("verify", "config")
    assert result.code == 1
    for status, detail in rows(result.out).values():
        assert status == "error"
        assert detail.startswith(f"POST {dead}/api/v1/dataplanes/token (data-plane client ")
        assert "ConnectError" in detail
        assert "gave up after" not in detail  # one attempt, no retries waited out


def test_an_unreachable_api_fails_at_once_naming_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/api/public/v1"
    monkeypatch.setenv("AIRBYTE_API_URL", dead)
    monkeypatch.setenv("AIRBYTE_CLIENT_ID", "client")
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "secret-canary-7f3a")
    result = cli("verify", "config")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert f"({dead}/applications/token)" in result.err
    assert "gave up after" not in result.err
    assert "secret-canary-7f3a" not in result.out + result.err
