"""``fold_name``'s ASCII shortcut gives the key NFKC and case folding give."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from reconciler.config.models import fold_name


def reference(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def test_every_ascii_character_folds_as_nfkc_and_casefold() -> None:
    for code in range(128):
        for name in (chr(code), f"Ab{chr(code)}Z", chr(code) * 3):
            assert fold_name(name) == reference(name)


def test_names_past_ascii_still_normalise() -> None:
    assert fold_name("STRASSE") == fold_name("straße") == "strasse"
    assert fold_name("\uff21cme") == "acme"  # a full-width A
    assert fold_name("ﬁnance") == "finance"


@given(st.text(max_size=40))
def test_any_name_folds_as_before(name: str) -> None:
    assert fold_name(name) == reference(name)
