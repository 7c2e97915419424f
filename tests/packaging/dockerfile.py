"""A small reader of the Dockerfile for the tests: instructions per stage, and the build context.

Not a full parser (no heredocs, no escape directive): enough for the one Dockerfile this
repository has, whose instructions hadolint checks anyway.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for word, rest in self.instructions if word == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, rest) per instruction, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        keyword, _, rest = whole.partition(" ")
        found.append((keyword.upper(), rest.strip()))
    return found


def stages(text: str | None = None) -> list[Stage]:
    """The Dockerfile's stages in order, with global ARG defaults substituted in FROM."""
    args: dict[str, str] = {}
    result: list[Stage] = []
    for keyword, rest in instructions(DOCKERFILE.read_text() if text is None else text):
        if keyword == "ARG" and not result:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            words = rest.split()
            base = words[0]
            for name, value in args.items():
                base = base.replace("${" + name + "}", value)
            alias = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            result.append(Stage(base=base, name=alias))
        else:
            result[-1].instructions.append((keyword, rest))
    return result


def copied_sources(stage: Stage) -> list[str]:
    """What the stage's COPY instructions take from the build context (not --from=...)."""
    sources: list[str] = []
    for rest in stage.all("COPY"):
        words = shlex.split(rest)
        if any(w.startswith("--from") for w in words):
            continue
        sources.extend(w for w in words[:-1] if not w.startswith("--"))
    return sources


def context_files() -> list[Path]:
    """The files of the working tree that .dockerignore lets into the build context.

    .dockerignore patterns are Go ``filepath.Match`` globs with ``**`` and ``!`` exceptions,
    the last match winning; gitignore's rules agree on every pattern the file uses.
    """
    spec = pathspec.GitIgnoreSpec.from_lines(DOCKERIGNORE.read_text().splitlines())
    skip = {".git", ".venv"}
    files = [
        path
        for path in ROOT.rglob("*")
        if path.is_file() and not skip & set(path.relative_to(ROOT).parts)
    ]
    return sorted(p for p in files if not spec.match_file(p.relative_to(ROOT).as_posix()))
