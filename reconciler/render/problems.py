"""``RenderProblems``: every reason a data plane's rendered output would not work, at once.

Render checks all data planes and raises one error holding every diagnostic, sorted, each
with the document's ``path:line:col`` (habit 2: never stop at the first problem).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.config.desired import DesiredState, DocumentSource, dataplane_key
from reconciler.config.diagnostics import Diagnostic, Position
from reconciler.config.models import DataPlane
from reconciler.errors import RenderError


class RenderProblems(RenderError):
    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__(f"{len(self.diagnostics)} problem(s) in what would be rendered")

    def render(self) -> str:
        lines = [d.render() for d in self.diagnostics]
        lines.append(f"{len(self.diagnostics)} error(s)")
        return "\n".join(lines)


def source_of(desired: DesiredState, dataplane: DataPlane) -> DocumentSource:
    """The data plane document's source; a placeholder when built without a loader."""
    key = dataplane_key(dataplane)
    try:
        return desired.source("DataPlane", key)
    except KeyError:
        return DocumentSource(position=Position(f"<DataPlane {key}>"))


def at(desired: DesiredState, dataplane: DataPlane, *path: str | int) -> Position:
    return source_of(desired, dataplane).at(*path)


def problem(
    desired: DesiredState, dataplane: DataPlane, path: tuple[str | int, ...], message: str
) -> Diagnostic:
    """A diagnostic naming the data plane and pointing at ``path`` inside its document."""
    return Diagnostic(
        at(desired, dataplane, *path), f"DataPlane {dataplane_key(dataplane)}: {message}"
    )


def org_problem(desired: DesiredState, path: tuple[str | int, ...], message: str) -> Diagnostic:
    """A diagnostic pointing at ``path`` inside the Organization document."""
    name = desired.organization.name
    try:
        source = desired.source("Organization", name)
    except KeyError:
        source = DocumentSource(position=Position(f"<Organization {name}>"))
    return Diagnostic(source.at(*path), message)
