"""The example organisation in a real Git remote, run through the CLI with the embedded control
plane: fixtures ``workdir`` and ``example_remote`` (in conftest) and the helpers they share."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler.cli.main import main
from reconciler.controlplane import open_embedded

from ..api.test_against_embedded import connect
from ..engine.harness import EXAMPLE_USERS
from .gitrepos import Remote

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flex-config"
ORG_ID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"


def example_files() -> dict[str, str | None]:
    return {str(p.relative_to(EXAMPLE)): p.read_text() for p in sorted(EXAMPLE.rglob("*.yaml"))}


def pushed_example(root: Path) -> Remote:
    repo = Remote(root)
    repo.commit(example_files(), "example organisation")
    repo.push("main")
    return repo


def flexctl(*argv: str) -> int:
    # --embedded: the same control plane wherever the suite runs (a CI runner sets CI=true).
    # `render` talks to no control plane and takes no --embedded.
    local_only = argv[0] == "render"
    return main([*argv, "--state-dir", ".flexctl", *([] if local_only else ["--embedded"])])


def patch_through_api(path: str, body: dict[str, object]) -> None:
    """A change made outside Git: straight to the control plane, as a person in the UI would."""
    plane, creds = open_embedded(Path(".flexctl"), organization_id=ORG_ID)

    async def go() -> None:
        async with connect((plane, creds)) as client:
            regions = await client.list_regions(ORG_ID)
            region = next(r for r in regions if r["name"] == path)
            await client.update_region(str(region["regionId"]), **body)  # type: ignore[arg-type]

    try:
        asyncio.run(go())
    finally:
        plane.close()


def sign_in_example_users() -> None:
    """The example's users exist (SSO stand-in), so its grants are made, not left pending."""
    plane, _ = open_embedded(Path(".flexctl"), organization_id=ORG_ID)
    try:
        for email in EXAMPLE_USERS:
            plane.add_user(email)
    finally:
        plane.close()
