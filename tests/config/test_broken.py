"""The broken-config corpus: one directory per failure, its exact diagnostics in expected.txt.

Each case is loaded from inside its own directory, so paths in ``expected.txt`` are relative
to it. Add a case by adding a directory; nothing here changes.

A case is checked as ``flexctl validate`` checks it: loaded, then the secret references it can
read are checked (webhook URLs in ``secrets/``), then what render would refuse
(``render.preflight``: chart keys, types, merged values). A case with an ``env.json`` is
checked as a run checks it instead (``check_references``: every reference resolved, with that
environment).
Whatever a case holds under ``secrets/`` or in ``env.json`` is a secret: never in the output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.config.diagnostics import ConfigError
from reconciler.config.loader import load_directory
from reconciler.config.parsecache import ParseCache
from reconciler.config.references import check_references, reference_problems
from reconciler.render.preflight import local_problems

from .conftest import BROKEN, GENERATED

CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("cached", [False, True], ids=["parsed", "cached"])
@pytest.mark.parametrize("case", CASES)
def test_broken_config(
    case: str, cached: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cached``: loaded twice through a parse cache of its own (written, then read back):
    both loads must report exactly what parsing does."""
    source = BROKEN / case
    expected = (source / "expected.txt").read_text(encoding="utf-8")
    if case in GENERATED:
        source = Path(shutil.copytree(source, tmp_path / case))
        GENERATED[case](source)
    monkeypatch.chdir(source)

    env_file = source / "env.json"
    env: dict[str, str] = json.loads(env_file.read_text()) if env_file.exists() else {}

    cache = ParseCache(tmp_path / "parse-cache") if cached else None
    for _ in range(2 if cached else 1):
        with pytest.raises(ConfigError) as caught:
            desired = load_directory(Path("."), cache=cache)
            if env_file.exists():
                check_references(desired, env=env, base_dir=Path("."))
            problems = reference_problems(desired, env=env, base_dir=Path("."), missing_ok=True)
            raise ConfigError(problems + local_problems(desired))

        rendered = caught.value.render()
        assert rendered + "\n" == expected
        for secret in _secrets(source, env):
            assert secret not in rendered
    if cache is not None:
        assert cache.hits == cache.writes  # the second load read back what the first kept
        for entry in (tmp_path / "parse-cache").glob("*"):
            kept = entry.read_bytes()
            for secret in _secrets(source, env):
                assert secret.encode() not in kept


def _secrets(case: Path, env: dict[str, str]) -> list[str]:
    values = [v for v in env.values() if v]
    folder = case / "secrets"
    if folder.is_dir():
        values += [f.read_text(errors="replace").strip() for f in folder.iterdir() if f.is_file()]
    # Each value and its tail after any scheme: a message must quote neither.
    return [part for v in values for part in (v, v.partition("://")[2]) if len(part) > 3]
