"""Load + validate benchmark: 10,000 documents in 1,000 files.

Generates a temporary config repository (1 Organization, 20 Regions, 80 DataPlanes, 9,899
Workspaces, ten documents per file), loads it with ``load_directory`` and prints wall and CPU time,
traced Python memory (tracemalloc peak, second run) and the process's peak RSS. Goal: under
3 s and 300 MB.

    .venv/bin/python bench/bench_load.py [--repeat N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from reconciler.config.loader import load_directory

DOCUMENTS = 10_000
FILES = 1_000
REGIONS = 20
PLANES_PER_REGION = 4

ORGANIZATION = """\
apiVersion: flexctl/v1
kind: Organization
name: bench
organizationId: 6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f
airbyteUrl: https://airbyte.bench.example
secretsManager:
  type: AWS_SECRET_MANAGER
  awsSecretManager: {region: us-east-1, authenticationType: instanceProfile}
defaultStorage:
  type: s3
  buckets: {log: l, state: s, workloadOutput: w, activityPayload: a}
  s3: {region: us-east-1, authenticationType: instanceProfile}
access:
  - {user: admin@bench.example, role: organization_admin}
"""

REGION = """\
apiVersion: flexctl/v1
kind: Region
name: region-{r}
jurisdiction: {j}
"""

DATAPLANE = """\
apiVersion: flexctl/v1
kind: DataPlane
name: plane-{p}
region: region-{r}
cluster:
  kubeContext: cluster-{r}
  namespace: airbyte-{p}
  releaseName: airbyte
storage:
  type: s3
  buckets:
    log: logs-{r}-{p}
    state: state-{r}-{p}
    workloadOutput: output-{r}-{p}
    activityPayload: payload-{r}-{p}
  s3: {{region: us-east-1}}
"""

WORKSPACE = """\
# workspace {w}
apiVersion: flexctl/v1
kind: Workspace
name: workspace-{w}
region: region-{r}
classification: sensitive
jurisdiction: {j}
notifications:
  failure:
    email: {{enabled: true}}
    webhook:
      enabled: true
      url: {{env: WEBHOOK_{w}}}
  syncDisabled:
    email: {{enabled: true}}
access:
  - user: owner-{w}@bench.example
    role: workspace_admin
  - user: reader-{w}@bench.example
    role: workspace_reader
"""


def jurisdiction(region: int) -> str:
    return ("US", "AU", "EU", "CA")[region % 4]


def documents(count: int = DOCUMENTS) -> list[str]:
    docs = [ORGANIZATION]
    docs += [REGION.format(r=r, j=jurisdiction(r)) for r in range(REGIONS)]
    docs += [DATAPLANE.format(r=r, p=p) for r in range(REGIONS) for p in range(PLANES_PER_REGION)]
    for w in range(count - len(docs)):
        r = w % REGIONS
        docs.append(WORKSPACE.format(w=w, r=r, j=jurisdiction(r)))
    return docs


def generate(root: Path) -> None:
    docs = documents()
    per_file = len(docs) // FILES
    for index in range(FILES):
        chunk = docs[index * per_file : (index + 1) * per_file]
        folder = root / f"group-{index % 10}"
        folder.mkdir(exist_ok=True)
        (folder / f"file-{index:04d}.yaml").write_text("---\n".join(chunk))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        walls, cpus = [], []
        rss_mb = 0.0
        for _ in range(args.repeat):
            state = None  # one state alive at a time
            started, cpu_started = time.perf_counter(), time.process_time()
            state = load_directory(root)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
            rss_mb = rss_mb or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert state is not None
        count = 1 + len(state.regions) + len(state.dataplanes) + len(state.workspaces)
        print(f"files: {FILES}, documents: {count}, bytes: {size:,}")
        print(
            f"load+validate over {args.repeat} run(s): wall best {min(walls):.2f} s, "
            f"median {statistics.median(walls):.2f} s; CPU best {min(cpus):.2f} s"
        )
        print(f"peak RSS after the first run (whole process): {rss_mb:.0f} MB")
        del state
        tracemalloc.start()
        load_directory(root)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak traced Python memory (second run): {peak / 1024 / 1024:.0f} MB")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(load_directory, root)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
