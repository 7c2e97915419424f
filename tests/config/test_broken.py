"""The broken-config corpus: one directory per failure, its exact diagnostics in expected.txt.

Each case is loaded from inside its own directory, so paths in ``expected.txt`` are relative
to it. Add a case by adding a directory; nothing here changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory

from .conftest import BROKEN, GENERATED

CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_broken_config(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = BROKEN / case
    expected = (source / "expected.txt").read_text(encoding="utf-8")
    if case in GENERATED:
        source = Path(shutil.copytree(source, tmp_path / case))
        GENERATED[case](source)
    monkeypatch.chdir(source)

    with pytest.raises(ConfigError) as caught:
        load_directory(Path("."))

    assert caught.value.render() + "\n" == expected
