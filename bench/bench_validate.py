"""Validate benchmark: ``flexctl validate`` of N workspaces, timed as a whole process.

Writes a config of ``--size`` documents (1 Organization, 20 Regions, 80 DataPlanes, the rest
Workspaces of about 30 YAML nodes each, 100 documents per file; the templates of
``bench_load``) into a temporary directory (or takes ``--config DIR``), then runs ``flexctl
validate`` on it ``--runs`` times after one warm-up, in each parse-cache mode in turn
(``--modes``: ``parsed`` with the cache off, ``cold`` into an empty cache, ``warm`` from the
one the run before filled), and prints min/median/max of wall and CPU seconds (the child's
own ``getrusage``), its peak RSS, and each mode's paired ratio to ``parsed``. With ``--vs
PATH`` (another checkout's ``flexctl``, e.g. one at main's commit made with ``git worktree
add /tmp/perf-base main``), runs the two in turn, A B A B ..., and prints the ratio A/B of
each pair, so a drifting machine cancels out.

    .venv/bin/python bench/bench_validate.py --size 10000
    .venv/bin/python bench/bench_validate.py --size 100000 --runs 3 \\
        --vs /tmp/perf-base/.venv/bin/flexctl
    .venv/bin/python bench/bench_validate.py --size 10000 --keep /tmp/cfg-10k   # write only

Never part of the test run; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import documents

PER_FILE = 100
HERE = Path(sys.executable).parent / "flexctl"


def write_config(root: Path, size: int) -> None:
    """``size`` documents in files of ``PER_FILE``, ten folders."""
    docs = documents(size)
    for index, start in enumerate(range(0, len(docs), PER_FILE)):
        folder = root / f"group-{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{index:05d}.yaml").write_text("---\n".join(docs[start : start + PER_FILE]))


#: How each run meets the parse cache (``config.parsecache``): off, empty (it writes every
#: file's entry), or filled by the run before (the warm-up, for the first).
MODES = ("parsed", "cold", "warm")


def mode_env(mode: str, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if mode == "parsed":
        return {**env, "FLEXCTL_NO_CACHE": "1"}
    if mode == "cold":
        shutil.rmtree(cache, ignore_errors=True)
    return {**env, "FLEXCTL_CACHE_DIR": str(cache)}


def run_once(
    flexctl: str, config: Path, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one ``flexctl validate`` process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [flexctl, "validate", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{flexctl} validate failed ({proc.returncode}): {err[:2000]}")
    if proc.stderr:
        proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def spread(values: list[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def report(name: str, runs: list[tuple[float, float, float]]) -> None:
    for index, label in enumerate(("wall s", "cpu s", "peak RSS MiB")):
        print(f"{name:>2} {label:<13} {spread([r[index] for r in runs])}")


def measure(config: Path, args: argparse.Namespace) -> None:
    a, b = str(args.flexctl), args.vs
    cache = Path(args.cache_dir)
    run_once(a, config, mode_env("cold", cache))  # warm-up: page cache, bytecode, the cache
    if b:
        run_once(b, config, mode_env("cold", cache.with_name(cache.name + "-b")))
    runs: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    # B has a cache folder of its own: its cold runs must not empty A's before A's warm ones.
    cache_b = cache.with_name(cache.name + "-b")
    for _ in range(args.runs):
        for mode in args.modes:
            runs.setdefault(("A", mode), []).append(run_once(a, config, mode_env(mode, cache)))
            if b:
                env_b = mode_env(mode, cache_b)
                runs.setdefault(("B", mode), []).append(run_once(b, config, env_b))
    what = f"{config}" if args.config else f"{args.size:,} documents"
    print(f"flexctl validate of {what}, {args.runs} run(s) per mode, in turn")
    print(f" A = {a}" + (f"\n B = {b}" if b else ""))
    for mode in args.modes:
        print(f"-- {mode}")
        report("A", runs["A", mode])
        if b:
            report("B", runs["B", mode])
            pair(runs["A", mode], runs["B", mode], "A/B")
    if "parsed" in args.modes:
        for mode in args.modes:
            if mode != "parsed":
                pair(runs["A", mode], runs["A", "parsed"], f"{mode}/parsed")


def pair(
    first: list[tuple[float, float, float]], second: list[tuple[float, float, float]], name: str
) -> None:
    for index, label in enumerate(("wall", "cpu", "RSS")):
        ratios = [ra[index] / rb[index] for ra, rb in zip(first, second, strict=True)]
        print(f"   {label + ' ' + name:<17} {spread(ratios)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="documents (default 10,000)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs (default 5)")
    parser.add_argument("--flexctl", default=HERE, help="flexctl to time (default this venv's)")
    parser.add_argument("--vs", help="a second flexctl to pair against (ratio A/B)")
    parser.add_argument("--keep", type=Path, help="write the config here and exit")
    parser.add_argument(
        "--modes", nargs="+", choices=MODES, default=list(MODES), help="parse cache modes"
    )
    parser.add_argument(
        "--config", type=Path, help="time this config directory instead of writing one"
    )
    args = parser.parse_args()
    if args.keep:
        write_config(args.keep, args.size)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        args.cache_dir = Path(tmp) / "parse-cache"
        if args.config:
            measure(args.config, args)
            return 0
        config = Path(tmp) / "config"
        write_config(config, args.size)
        measure(config, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
