"""A test world for the engine: a copy of the example config, a state directory, the embedded
control plane opened in-process, and helpers to plan, apply and change things behind
flexctl's back through the public API.

The world builds its own ``Connection`` (the same shape ``engine.session.connect`` yields)
so tests can inject what connect does not take: a no-op retry sleep, and faults set on the
``ControlPlane`` object. ``connect`` itself is exercised by the CLI tests in tests/e2e.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.config.desired import DesiredState
from reconciler.config.loader import load_directory
from reconciler.controlplane import AdminCredentials, ControlPlane, open_embedded
from reconciler.core.plan import Change, Plan
from reconciler.engine.apply import ApplyResult, apply_prepared
from reconciler.engine.session import Connection, Prepared, RunContext, prepare
from reconciler.statedir import StateDir

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "flex-config"
ORG_ID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
#: The webhook URL secret: it must never show up in any output.
CANARY_WEBHOOK = "https://hooks.example.invalid/T0CANARY/B0CANARY/canary-0b5e7f1d9a"
WEBHOOK_ENV = "US_ANALYTICS_SLACK_WEBHOOK"
#: Every user the example's access lists name.
EXAMPLE_USERS = (
    "analyst@acme.example",
    "auditor@acme.example",
    "data-eng-au@acme.example",
    "data-eng-us@acme.example",
    "marketing-lead@acme.example",
    "platform-admin@acme.example",
)


async def no_sleep(_seconds: float) -> None:
    """Retry waits cost no wall-clock time in tests."""


def copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def lines(plan_text: str) -> list[str]:
    return [line.rstrip() for line in plan_text.splitlines()]


def summary(plan: Plan) -> list[tuple[str, str, str]]:
    """(action, key, blocked reason or '') per change, in plan order."""
    return [(c.action.value, str(c.key), c.blocked or "") for c in plan.changes]


@dataclass
class World:
    root: Path
    config: Path
    state: StateDir
    plane: ControlPlane
    creds: AdminCredentials
    env: dict[str, str] = field(default_factory=dict)
    #: The application's own user as connect() reports it; None: unknown (a remote plane).
    own_user: str | None = "admin@flexctl.local"

    @staticmethod
    def create(root: Path, *, env: Mapping[str, str] | None = None) -> World:
        config = copy_example(root / "config")
        state = StateDir(root / "state").ensure()
        plane, creds = open_embedded(state.root, organization_id=ORG_ID)
        return World(
            root=root,
            config=config,
            state=state,
            plane=plane,
            creds=creds,
            env=dict(env if env is not None else {WEBHOOK_ENV: CANARY_WEBHOOK}),
        )

    def close(self) -> None:
        self.plane.close()

    def desired(self) -> DesiredState:
        return load_directory(self.config)

    def ctx(self) -> RunContext:
        return RunContext(
            state=self.state, env=self.env, base_dir=self.config, source={"path": "config"}
        )

    def add_users(self, *emails: str) -> None:
        for email in emails:
            self.plane.add_user(email)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with ApiClient(
            self.creds.url,
            client_id=self.creds.client_id,
            client_secret=self.creds.client_secret,
            transport=self.plane.transport(),
            sleep=no_sleep,
        ) as client:
            yield Connection(
                client=client,
                organization_id=ORG_ID,
                dataplane_token_url="http://embedded/api/v1/dataplanes/token",
                embedded=self.plane,
                own_user_email=self.own_user,
            )

    @asynccontextmanager
    async def api(self) -> AsyncIterator[ApiClient]:
        """The admin's own client: changes made here are changes 'outside Git'."""
        async with ApiClient(
            self.creds.url,
            client_id=self.creds.client_id,
            client_secret=self.creds.client_secret,
            transport=self.plane.transport(),
            sleep=no_sleep,
        ) as client:
            yield client

    async def prepare(
        self,
        *,
        desired: DesiredState | None = None,
        rotate: frozenset[str] = frozenset(),
        prune: bool = False,
    ) -> Prepared:
        async with self.connection() as conn:
            return await prepare(
                conn, desired or self.desired(), self.ctx(), rotate=rotate, prune=prune
            )

    async def apply(
        self,
        *,
        rotate: frozenset[str] = frozenset(),
        prune: bool = False,
        max_deletes: int = 5,
        finish_rotation: frozenset[str] = frozenset(),
    ) -> ApplyResult:
        desired = self.desired()
        async with self.connection() as conn:
            prepared = await prepare(
                conn,
                desired,
                self.ctx(),
                rotate=rotate,
                prune=prune,
                finish_rotation=finish_rotation,
            )
            return await apply_prepared(
                conn, desired, prepared, self.ctx(), max_deletes=max_deletes
            )

    async def converge(self, **kw: Any) -> ApplyResult:
        result = await self.apply(**kw)
        assert result.ok, [o.error for o in result.failed]
        return result


def change_for(plan: Plan, key: str) -> Change:
    found = [c for c in plan.changes if str(c.key) == key]
    assert len(found) == 1, (key, summary(plan))
    return found[0]
