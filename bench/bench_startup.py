"""Start-up benchmark: flexctl's fixed cost against a bare interpreter start, paired.

Runs each case and ``python -c pass`` in turn (A B A B ...), each as a whole process, and
prints the median wall time of both and the median of the pair-by-pair ratio, which holds
when a shared machine's speed drifts. Goals: ``--help`` at most 6x, ``validate`` of the
example at most 12x a bare start.

    .venv/bin/python bench/bench_startup.py [--runs N]

To time one case from outside instead: ``/usr/bin/time -v .venv/bin/flexctl --help``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flex-config"
FLEXCTL = [sys.executable, "-m", "reconciler"]
BARE = [sys.executable, "-c", "pass"]
CASES = {
    "--help": [*FLEXCTL, "--help"],
    "--version": [*FLEXCTL, "--version"],
    "validate": [*FLEXCTL, "validate", str(EXAMPLE)],
    "schema": [*FLEXCTL, "schema"],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="pairs per case (default: 11)")
    runs = parser.parse_args().runs
    wall(BARE)  # warm the page cache and the bytecode
    for name, command in CASES.items():
        wall(command)
        pairs = [(wall(command), wall(BARE)) for _ in range(runs)]
        case = statistics.median(a for a, _ in pairs)
        bare = statistics.median(b for _, b in pairs)
        ratio = statistics.median(a / b for a, b in pairs)
        print(f"{name:<10} {case * 1000:7.1f} ms   bare {bare * 1000:6.1f} ms   {ratio:5.2f}x")


if __name__ == "__main__":
    main()
