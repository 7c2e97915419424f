"""A child process that applies and SIGKILLs itself at a chosen moment of a data-plane create.

    python -m tests.engine.killrun CONFIG STATE MOMENT NTH [REGION/NAME ...]

MOMENT is one of the executor's crash points (``journalled``: the begin record is on disk and
the create not sent; ``created``: the control plane made it and the answer, with the one-time
secret, is in this process only; ``delivered``: the sink holds it, the journal does not say
done; ``done``: journalled done, the inventory not checkpointed). The NTH time the moment is
reached the process kills itself: no cleanup, no finally blocks, as a machine losing power.
The data planes named are rotated. Exit 0 means the moment was never reached.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from reconciler.config.loader import load_directory
from reconciler.core.resources import ResourceKey
from reconciler.engine.apply import apply_prepared
from reconciler.engine.session import RunContext, connect, prepare
from reconciler.statedir import StateDir

MOMENTS = ("journalled", "created", "delivered", "done")


def main(argv: list[str]) -> int:
    config, state, moment, nth, *rotate = argv
    assert moment in MOMENTS, moment
    seen = [0]

    def hook(at: str, key: ResourceKey) -> None:
        if at == moment:
            seen[0] += 1
            if seen[0] == int(nth):
                os.kill(os.getpid(), signal.SIGKILL)

    desired = load_directory(Path(config))
    ctx = RunContext(
        state=StateDir(Path(state)).ensure(),
        env=dict(os.environ),
        base_dir=Path(config),
        source={"path": "config"},
        embedded=True,
    )

    async def go() -> bool:
        async with connect(desired, ctx) as conn:
            prepared = await prepare(conn, desired, ctx, rotate=frozenset(rotate))
            result = await apply_prepared(conn, desired, prepared, ctx, max_deletes=5, hook=hook)
            return result.ok

    return 0 if asyncio.run(go()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
