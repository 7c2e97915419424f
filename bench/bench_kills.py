"""Crash torture at scale (issue 17): ``--kills`` applies SIGKILLed at random moments of
data-plane first creates and rotations (the journal write, the create answer in flight,
delivered but not journalled, journalled but not checkpointed), each followed by recovery
(apply, verify, apply) and a census on the embedded control plane.

    .venv/bin/python bench/bench_kills.py --kills 100 --seed 1

Prints kills, trials and the totals of duplicates, orphans, data planes without working
stored credentials and changes of the plan after recovery (each must be 0), plus the wall
time. The same code as the suite's ``tests/engine/test_kills.py::test_seeded_torture_ten_kills``
(``tests/engine/torture.py``). Asserts nothing; never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.engine.harness import EXAMPLE_USERS, World
from tests.engine.torture import torture


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith("AIRBYTE_")] + ["CI"]:
        os.environ.pop(name, None)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="flexctl-kills-") as tmp:
        world = World.create(Path(tmp))
        try:
            world.add_users(*EXAMPLE_USERS)
            found = asyncio.run(torture(world, seed=args.seed, kills=args.kills))
        finally:
            world.close()
    moments = Counter(t.split(" killed at ")[1].split(":")[0] for t in found.trials)
    ops = Counter(t.split(" killed at ")[0].split(" ")[0] for t in found.trials)
    print(f"kills: {found.kills} in {len(found.trials)} trials (seed {args.seed})")
    print("trials by operation: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    print("trials by moment: " + ", ".join(f"{k} {v}" for k, v in sorted(moments.items())))
    print(f"duplicates: {found.duplicates}")
    print(f"orphans: {found.orphans}")
    print(f"without working stored credentials: {found.without_credentials}")
    print(f"changes in the plan after recovery: {found.second_plan_changes}")
    print(f"wall: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
