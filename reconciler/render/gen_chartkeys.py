"""Command line that regenerates ``data/chart-<version>-keys.json`` from the chart's files.

    python -m reconciler.render.gen_chartkeys \\
        --values ../shared/reference/airbyte-data-plane-chart/values.yaml \\
        --config ../shared/reference/airbyte-data-plane-chart/config.yaml \\
        --out reconciler/render/data/chart-1.8.1-keys.json

The derivation itself is ``chartkeys.derive`` (pure); this module only reads and writes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from reconciler.render.chartkeys import CHART_VERSION, derive, dumps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--values", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", default=CHART_VERSION)
    args = parser.parse_args(argv)
    document = derive(
        args.values.read_text(encoding="utf-8"),
        args.config.read_text(encoding="utf-8"),
        version=args.version,
    )
    args.out.write_text(dumps(document), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
