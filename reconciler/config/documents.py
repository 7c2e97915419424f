"""Loaded documents: a validated model with its source, handed from the loader to validation.

Also the ``FailedDocument`` record: what could be read of a document that did not validate,
so cross-document rules do not report a reference to it as dangling (one error, not two).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.desired import DocumentSource
from reconciler.config.diagnostics import Position
from reconciler.config.models import Document


@dataclass(frozen=True)
class LoadedDocument:
    model: Document
    source: DocumentSource

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def name(self) -> str:
        return self.model.name


@dataclass(frozen=True)
class FailedDocument:
    """A document with errors: its kind and name when they could be read."""

    position: Position
    kind: str | None
    name: str | None
