"""Cross-document rules about ``previousNames`` (renames in place, ``core.renames``).

A previous name says "the live object of that name is this one": it must not be the name of
another declared object (both would claim the live one: the rename would fight the other
document), nor be claimed by two documents (one live object becomes only one), nor name an
Airbyte-managed region (not the organisation's to rename). Data planes' previous names are
``NAME`` (in the data plane's own region) or ``REGION/NAME``. Part of
``config.validate.RULES``; same contract: pure, never raises, positions from
``DocumentSource``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.documents import LoadedDocument
from reconciler.config.models import MANAGED_REGIONS, DataPlane, fold_name

if TYPE_CHECKING:
    from reconciler.config.validate import Context

_MANAGED = {name.lower(): name for name in MANAGED_REGIONS}

#: A document's key (what a previous name is compared with) and a previous name's key.
KeyOf = Callable[[LoadedDocument], str]
PreviousKey = Callable[[LoadedDocument, str], str]


def previous_dataplane_key(region: str, previous: str) -> str:
    """``REGION/NAME`` (lower-cased) a data plane's previous name stands for."""
    old_region, _, old_name = previous.rpartition("/")
    return fold_name(f"{old_region or region}/{old_name}")


def _dataplane_key(document: LoadedDocument) -> str:
    assert isinstance(document.model, DataPlane)
    return fold_name(f"{document.model.region}/{document.name}")


def _previous_dataplane(document: LoadedDocument, old: str) -> str:
    assert isinstance(document.model, DataPlane)
    return previous_dataplane_key(document.model.region, old)


def _label(document: LoadedDocument) -> str:
    model = document.model
    return f"{model.region}/{model.name}" if isinstance(model, DataPlane) else document.name


def _name(document: LoadedDocument) -> str:
    return fold_name(document.name)


def _previous_name(_document: LoadedDocument, old: str) -> str:
    return fold_name(old)


def previous_names_free(ctx: Context) -> Iterator[Diagnostic]:
    """Each previous name names one live object no declared document already is."""
    yield from _claims(ctx.regions, "region", _name, _previous_name)
    yield from _claims(ctx.dataplanes, "data plane", _dataplane_key, _previous_dataplane)
    yield from _claims(ctx.workspaces, "workspace", _name, _previous_name)


def _claims(
    documents: Sequence[LoadedDocument], what: str, key_of: KeyOf, previous_key: PreviousKey
) -> Iterator[Diagnostic]:
    declared = {key_of(d): d for d in documents}
    claimed: dict[str, LoadedDocument] = {}
    for document in documents:
        for index, old in enumerate(getattr(document.model, "previous_names", ())):
            where = document.source.at("previousNames", index)
            key = previous_key(document, old)
            other = declared.get(key)
            if other is document:
                yield Diagnostic(
                    where,
                    f"previous name '{old}' is this {what}'s own name (names compare without "
                    "case: a change of case needs no previousNames)",
                )
                continue
            if other is not None:
                yield Diagnostic(
                    where,
                    f"previous name '{old}' is the name of a declared {what} "
                    f"({other.source.at('name')}); a rename needs the old name to be gone",
                )
                continue
            if what == "region" and key in _MANAGED:
                yield Diagnostic(
                    where,
                    f"previous name '{old}' is the Airbyte-managed region '{_MANAGED[key]}', "
                    "which is not the organisation's to rename",
                )
                continue
            earlier = claimed.setdefault(key, document)
            if earlier is not document:
                yield Diagnostic(
                    where,
                    f"previous name '{old}' is also claimed by {what} '{_label(earlier)}' "
                    f"({earlier.source.at('name')}); one live {what} can become only one",
                )
