"""Loaded documents: a validated model with its source, handed from the loader to validation.

Also the ``FailedDocument`` record: what could be read of a document that did not validate,
so cross-document rules do not report a reference to it as dangling (one error, not two).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.config.desired import DocumentSource, KeyPath
from reconciler.config.diagnostics import Position
from reconciler.config.models import Document, SecretRef
from reconciler.config.secrets import secret_ref_paths


@dataclass(frozen=True)
class LoadedDocument:
    model: Document
    source: DocumentSource
    #: False when the document's file cannot hold a secret reference (``may_refer``): its
    #: model is not walked for them.
    refers: bool = True
    #: The model's kind and name, copied: the cross-document rules read them 100,000s of
    #: times (a property each time was a few percent of ``validate``).
    kind: str = field(init=False)
    name: str = field(init=False)
    #: ``secret_ref_paths`` of the model, walked once (two checks read them).
    secret_refs: tuple[tuple[KeyPath, SecretRef], ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.model.kind)
        object.__setattr__(self, "name", self.model.name)
        refs = tuple(secret_ref_paths(self.model)) if self.refers else ()
        object.__setattr__(self, "secret_refs", refs)


def may_refer(text: str) -> bool:
    """Whether a YAML file of ``text`` can hold a secret reference; False means no document of
    it has one, so its models are not walked. Exact: a reference is a mapping with an ``env``
    or ``file`` key (no model has a reference as its default), and YAML spells a key that is
    not in the text only through escapes, which need a backslash."""
    return "env" in text or "file" in text or "\\" in text


@dataclass(frozen=True)
class FailedDocument:
    """A document with errors: its kind and name when they could be read."""

    position: Position
    kind: str | None
    name: str | None
