"""The ``airbyte-data-plane`` chart versions flexctl renders for, and what differs between them.

A supported line is a minor version: its key list is derived from the published package of
that line (``PACKAGED``, in ``data/chart-<package>-keys.json``), its Helm repository is where
Airbyte publishes it, and its buckets are the ``storage.bucket.*`` keys its templates read
(2.0 adds ``auditLogging``: the platform's audit logs, in a bucket of your own).

* 1.8.x: the "v1" repository ``https://airbytehq.github.io/helm-charts``; 1.8.0 does not
  render (an undefined template in secret.yaml, no ``worker`` values), so it is refused.
* 2.0.x, 2.1.x, 2.2.x: the "v2" repository ``https://airbytehq.github.io/charts``. 2.0 adds
  the audit-logging bucket and a management port (``workloadLauncher.management.port``, the
  probes' port); 2.1 reads ``java.opts`` and ``logging.platformLogFormat``; 2.2 reads
  ``namespaceOverride``.

Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane
from reconciler.render import chartkeys

V1_REPOSITORY = "https://airbytehq.github.io/helm-charts"
V2_REPOSITORY = "https://airbytehq.github.io/charts"

#: The lines Airbyte publishes in each of its two repositories (notes §1).
PUBLISHED_IN = {V1_REPOSITORY: ("1.",), V2_REPOSITORY: ("2.",)}

#: Versions of a supported line that are refused, with why.
BROKEN = {
    "1.8.0": "does not render (undefined template in secret.yaml, no 'worker' values); use 1.8.1",
}

_VERSION = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")  # fullmatch: "$" would allow a final "\n"


@dataclass(frozen=True)
class ChartLine:
    line: str  # "2.0"
    #: The package the key list is derived from.
    package: str
    repository: str

    @property
    def keys(self) -> chartkeys.ChartKeys:
        return chartkeys.load(self.package)

    @property
    def buckets(self) -> tuple[str, ...]:
        """The ``storage.bucket.*`` keys this line reads."""
        return tuple(self.keys.children(("storage", "bucket")))


LINES = (
    ChartLine("1.8", "1.8.1", V1_REPOSITORY),
    ChartLine("2.0", "2.0.1", V2_REPOSITORY),
    ChartLine("2.1", "2.1.1", V2_REPOSITORY),
    ChartLine("2.2", "2.2.0", V2_REPOSITORY),
)
PACKAGED = tuple(line.package for line in LINES)
SUPPORTED_TEXT = "1.8.x (from 1.8.1), 2.0.x, 2.1.x and 2.2.x"


def line_of(version: str) -> ChartLine | None:
    """The supported line of ``version``; None when flexctl does not render for it."""
    match = _VERSION.fullmatch(version)
    if match is None:
        return None
    minor = f"{int(match.group(1))}.{int(match.group(2))}"
    return next((line for line in LINES if line.line == minor), None)


def repository_for(version: str, configured: str | None) -> str:
    """The Helm repository to install ``version`` from: the configured one (a mirror), else
    where Airbyte publishes that line."""
    if configured:
        return configured
    line = line_of(version)
    return line.repository if line is not None else V1_REPOSITORY


def chart_repository(desired: DesiredState, dataplane: DataPlane) -> str:
    return repository_for(dataplane.chart_version, desired.organization.gitops.helm_repository)


def wrong_repository(version: str, configured: str | None) -> str | None:
    """Airbyte's other repository, when ``configured`` is it: it does not publish
    ``version``. None when the pair can work (a mirror is trusted)."""
    if not configured:
        return None
    prefixes = PUBLISHED_IN.get(configured.rstrip("/"))
    if prefixes is None or version.startswith(prefixes):
        return None
    line = line_of(version)
    return line.repository if line is not None else None


def readers(path: tuple[str, ...], *, besides: str) -> list[str]:
    """Packaged versions other than ``besides`` whose templates read ``path``."""
    return [p for p in PACKAGED if p != besides and chartkeys.load(p).has(path)]
