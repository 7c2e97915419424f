"""Loaded documents: a validated model with its source, handed from the loader to validation.

Also the ``FailedDocument`` record: what could be read of a document that did not validate,
so cross-document rules do not report a reference to it as dangling (one error, not two).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from reconciler.config.desired import DocumentSource, KeyPath
from reconciler.config.diagnostics import Position
from reconciler.config.models import Document, SecretRef
from reconciler.config.secrets import secret_ref_paths


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

    @cached_property
    def secret_refs(self) -> tuple[tuple[KeyPath, SecretRef], ...]:
        """``secret_ref_paths`` of the model, walked once (two checks read them)."""
        return tuple(secret_ref_paths(self.model))


@dataclass(frozen=True)
class FailedDocument:
    """A document with errors: its kind and name when they could be read."""

    position: Position
    kind: str | None
    name: str | None
