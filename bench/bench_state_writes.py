"""Benchmark: N document writes through one state backend, as one whole process.

Alternates a growing journal document and an audit-run document -- the pattern of an apply
(intent, outcome, audit record) -- through the git backend (a ref in a local bare repository)
by default, and reads the journal back at the end to check the last write is what is there.

    .venv/bin/python bench/bench_state_writes.py --writes 120
    farm-bench -n 5 -- .venv/bin/python bench/bench_state_writes.py \
        --vs '/work/main/.venv/bin/python bench/bench_state_writes.py'

Never part of the test run; asserts only that the writes landed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from reconciler.state import open_backend
from reconciler.state.url import parse_state_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--writes", type=int, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        remote = work / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        url = parse_state_url(f"git+file://{remote}#refs/heads/state")
        backend = open_backend(url, state_dir=work / "runner", env=dict(os.environ))
        started = time.perf_counter()
        journal = audit = None
        records: list[dict[str, int]] = []
        for number in range(args.writes // 2):
            records.append({"record": number})
            journal = backend.write("journal", {"records": records}, expect_revision=journal)
            audit = backend.write("audit/run", {"records": records}, expect_revision=audit)
        document, revision = backend.read("journal")
        assert revision == journal and document is not None
        assert len(document["records"]) == args.writes // 2
        seconds = time.perf_counter() - started
        print(f"{args.writes} writes: {seconds:.2f} s, {1000 * seconds / args.writes:.1f} ms each")
        backend.close()


if __name__ == "__main__":
    main()
