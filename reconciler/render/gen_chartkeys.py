"""Command line that regenerates ``data/chart-<version>-keys.json`` from chart packages.

    python -m reconciler.render.gen_chartkeys \\
        ../shared/reference/airbyte-data-plane-chart/packages/airbyte-data-plane-*.tgz

writes one file per package into ``reconciler/render/data/`` (``--out-dir`` to change it).
The packages are read in place, never copied; the derivation itself is
``chartkeys.derive`` (pure), this module only reads and writes.
"""

from __future__ import annotations

import argparse
import tarfile
from collections.abc import Sequence
from pathlib import Path

from reconciler.render.chartkeys import derive, dumps

DATA = Path(__file__).parent / "data"


def read_package(path: Path) -> dict[str, str]:
    """The text files of a packaged chart (``<name>-<version>.tgz``), by path inside the
    chart (``Chart.yaml``, ``values.yaml``, ``templates/...``)."""
    files: dict[str, str] = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            _, _, inside = member.name.partition("/")
            files[inside] = handle.read().decode("utf-8")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("packages", type=Path, nargs="+")
    parser.add_argument("--out-dir", type=Path, default=DATA)
    args = parser.parse_args(argv)
    for package in args.packages:
        document = derive(read_package(package))
        out = args.out_dir / f"chart-{document['version']}-keys.json"
        out.write_text(dumps(document), encoding="utf-8")
        print(f"{out}: {len(document['keys'])} keys, {len(document['unread'])} unread")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
