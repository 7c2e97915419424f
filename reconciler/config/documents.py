"""Loaded documents: a validated model with its source, handed from the loader to validation.

Also the ``FailedDocument`` record: what could be read of a document that did not validate,
so cross-document rules do not report a reference to it as dangling (one error, not two).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from reconciler.config.desired import DocumentSource, KeyPath
from reconciler.config.diagnostics import Position
from reconciler.config.models import Document, SecretRef
from reconciler.config.secrets import secret_ref_paths


@dataclass(frozen=True)
class LoadedDocument:
    model: Document
    source: DocumentSource
    #: The model's kind and name, copied: the cross-document rules read them 100,000s of
    #: times (a property each time was a few percent of ``validate``).
    kind: str = field(init=False)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.model.kind)
        object.__setattr__(self, "name", self.model.name)

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
