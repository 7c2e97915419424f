"""Telling "this is not a flexctl config" from "this flexctl config is broken".

Run in the wrong directory (a temporary directory, a Helm chart, a Kubernetes manifests
repository), the loader would report every file's documents as unknown kinds: thousands
of errors that hide the one that matters. A directory with no Organization document and
more than ``STRAY_FILES_ALLOWED`` files holding no flexctl document is answered with one
error instead (``no_config_here``). A file that mentions ``flexctl/`` (an ``apiVersion``)
counts as flexctl's even when it does not parse, so the short answer never hides the
errors of a file that was meant to be config.

Pure: judges bytes and parsed values; the loader reads and reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.diagnostics import Diagnostic, Position

#: "More than a few": a config repository may hold a stray YAML file or three (CI files,
#: a chart's values), not more without an Organization.
STRAY_FILES_ALLOWED = 3
#: Files named in the message, as examples.
SHOWN = 3

_FLEXCTL_KINDS = frozenset({"Organization", "Region", "DataPlane", "Workspace"})


@dataclass
class Census:
    """What the loader saw, file by file."""

    files: int = 0
    #: Files with at least one document and none of them flexctl's (display paths).
    stray: list[str] = field(default_factory=list)
    organization: bool = False

    def parsed(self, path: str, documents: Iterable[Any]) -> None:
        """A file whose YAML parsed into ``documents`` (plain values; None for empty ones)."""
        self.files += 1
        values = [d for d in documents if d is not None]
        ours = [d for d in values if _is_flexctl(d)]
        if any(isinstance(d, dict) and d.get("kind") == "Organization" for d in ours):
            self.organization = True
        if values and not ours:
            self.stray.append(path)

    def unparsed(self, path: str, data: bytes) -> None:
        """A file that could not be read as YAML text (too large, binary, a syntax error)."""
        self.files += 1
        if b"flexctl/" not in data:
            self.stray.append(path)
        elif b"Organization" in data:
            self.organization = True  # maybe the Organization: let its errors be seen

    def no_config_here(self, origin: str) -> Diagnostic | None:
        """The one error for a directory that is not a flexctl config, or None."""
        if self.organization or len(self.stray) <= STRAY_FILES_ALLOWED:
            return None
        return Diagnostic(Position(origin), _message(self.stray, self.files))


def _is_flexctl(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    version, kind = document.get("apiVersion"), document.get("kind")
    return (isinstance(version, str) and version.startswith("flexctl/")) or (
        isinstance(kind, str) and kind in _FLEXCTL_KINDS
    )


def _message(stray: Sequence[str], total: int) -> str:
    shown = ", ".join(sorted(stray)[:SHOWN])
    more = f" and {len(stray) - SHOWN} more" if len(stray) > SHOWN else ""
    return (
        f"no flexctl config here (no Organization document): {len(stray)} of the {total} "
        f"YAML files hold no flexctl document (apiVersion: flexctl/v1), e.g. {shown}{more}; "
        "run flexctl on the config directory, or list what is not config in .flexctlignore"
    )
