"""What config discovery skips besides hidden folders: the patterns of the config root's
``.flexctlignore`` (gitignore syntax, through ``pathspec``) and flexctl's own output folders.

flexctl's own folders are recognised by the file flexctl writes into each of them, so a
later ``validate`` skips them wherever they were written: a rendered data-plane folder holds
``.flexctl-rendered`` (``render.render.MARKER_FILE``), a state directory holds the
``.gitignore`` ``statedir.StateDir.ensure`` writes. Without this, ``render --out`` into the
config repository breaks the next ``validate`` (a ``HelmRelease`` is no flexctl document).

Pure: rules are built from text, and a folder's marker is judged from bytes the caller read.
The directory listing (``config.sources``) and the commit reader (``gitops.repo``) apply the
same rules. Must not import ``render`` or ``statedir``: ``validate`` loads neither; the
constants below are checked against theirs by the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

#: The ignore file, read at the config root only (a nested one is not read: one place to look).
IGNORE_FILE = ".flexctlignore"
#: An ignore file is a short list of patterns; a larger one is refused before it is parsed.
MAX_IGNORE_BYTES = 64 * 1024
#: The marker of a rendered data-plane folder (``render.render.MARKER_FILE``) and how it starts.
RENDER_MARKER_FILE = ".flexctl-rendered"
RENDER_MARKER_HEAD = b"# flexctl render output for DataPlane "
#: The file at the top of a state directory and how it starts (``statedir.StateDir.ensure``).
STATE_MARKER_FILE = ".gitignore"
STATE_MARKER_HEAD = b"# flexctl state"
#: Bytes of a marker file to read: its first line says whose folder it is.
MARKER_PROBE_BYTES = 256


@dataclass(frozen=True)
class IgnoreProblem:
    """A line of ``.flexctlignore`` that is not a valid pattern (1-based line)."""

    line: int
    message: str


class IgnoreFileError(Exception):
    """``.flexctlignore`` could not be used; ``problems`` name each bad line."""

    def __init__(self, problems: Iterable[IgnoreProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


@dataclass(frozen=True)
class IgnoreRules:
    """The patterns of one ``.flexctlignore`` (none: nothing ignored by pattern)."""

    spec: pathspec.GitIgnoreSpec | None = None

    @classmethod
    def parse(cls, data: bytes | None) -> IgnoreRules:
        """Rules from the bytes of ``.flexctlignore`` (None: there is none). Raises
        ``IgnoreFileError`` naming every bad line, so none is silently dropped (a dropped
        pattern would let files in that the author meant to keep out, or the reverse)."""
        if data is None:
            return cls()
        import pathspec  # only when there is an ignore file: most configs have none

        if len(data) > MAX_IGNORE_BYTES:
            raise IgnoreFileError(
                [
                    IgnoreProblem(
                        1, f"larger than {MAX_IGNORE_BYTES // 1024} KiB; it is a list of patterns"
                    )
                ]
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad = data.count(b"\n", 0, exc.start) + 1
            raise IgnoreFileError([IgnoreProblem(bad, "not UTF-8 text")]) from None
        lines = text.splitlines()
        problems = []
        for number, line in enumerate(lines, start=1):
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:  # pathspec's pattern errors are ValueErrors
                problems.append(IgnoreProblem(number, _bad_pattern(line)))
        if problems:
            raise IgnoreFileError(problems)
        return cls(pathspec.GitIgnoreSpec.from_lines(lines))

    def skips_folder(self, rel: str) -> bool:
        """Whether the folder at ``rel`` (POSIX, relative to the config root) is ignored;
        everything under an ignored folder is, as in Git (no ``!`` brings a file back)."""
        return self.spec is not None and self.spec.match_file(rel.strip("/") + "/")

    def skips_file(self, rel: str) -> bool:
        return self.spec is not None and self.spec.match_file(rel)


def _bad_pattern(line: str) -> str:
    pattern = line.strip()
    if pattern == "!":
        why = "a '!' needs a pattern after it"
    elif line.endswith("\\"):
        why = "a trailing '\\' escapes nothing (write '\\\\' for a backslash)"
    else:
        why = "not a gitignore pattern"
    return f"invalid pattern {pattern!r}: {why}"


def is_output_marker(name: str, head: bytes) -> bool:
    """Whether a file called ``name`` starting with ``head`` marks its folder as flexctl's
    own output (a rendered data-plane folder, a state directory): the folder is skipped."""
    if name == RENDER_MARKER_FILE:
        return head.startswith(RENDER_MARKER_HEAD)
    if name == STATE_MARKER_FILE:
        return head.startswith(STATE_MARKER_HEAD)
    return False


MARKER_FILES = (RENDER_MARKER_FILE, STATE_MARKER_FILE)
