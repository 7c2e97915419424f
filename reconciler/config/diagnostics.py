"""Diagnostics: ordered values with a location, and the error that carries a batch of them.

A diagnostic is rendered as ``path:line:col: error: message`` (lines and columns 1-based).
Collect all of them, sort, raise one ``ConfigError``: never stop at the first bad file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import FlexctlError


@dataclass(frozen=True, order=True)
class Position:
    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    position: Position
    message: str
    severity: Literal["error", "warning"] = "error"

    def render(self) -> str:
        return f"{self.position}: {self.severity}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.position.path,
            "line": self.position.line,
            "column": self.position.column,
            "severity": self.severity,
            "message": self.message,
        }


class ConfigError(FlexctlError):
    """One or more problems in the config repository, sorted by position."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__(f"{len(self.diagnostics)} problem(s) in the config")

    def render(self) -> str:
        lines = [d.render() for d in self.diagnostics]
        lines.append(f"{len(self.diagnostics)} error(s)")
        return "\n".join(lines)
