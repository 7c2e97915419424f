"""Secret references: turn ``{env: NAME}`` / ``{file: PATH}`` into a value, only when needed.

The loader never calls this: a config validates on a machine that holds none of its secrets.
Callers pass the environment and the base directory (the config root) explicitly, so tests
need no monkeypatching. Errors name the document, the field and the variable or file, and
never the value.
"""

from __future__ import annotations

import enum
import functools
import os
import posixpath
import stat
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from pydantic import BaseModel

from reconciler.config.desired import KeyPath
from reconciler.config.models import SecretRef
from reconciler.config.safeio import UnsafeFile, is_inside, read_regular
from reconciler.errors import SecretResolutionError

#: A secret file is a token or a key, never large: a bigger one is refused unread.
SECRET_FILE_MAX = 64 * 1024


def file_reference_problem(path: str) -> str | None:
    """What is wrong with the *form* of a ``{file: PATH}`` path (no file system), or None.

    Paths are relative to the config root and stay inside it: in CI, a pull request could
    otherwise point a webhook at any file on the runner.
    """
    if path == "" or "\x00" in path:
        return "the secret file path is empty or holds a NUL character"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).drive:
        return (
            f"secret file {path!r} is an absolute path; {{file: PATH}} is relative to the "
            "config directory and stays inside it"
        )
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return f"secret file {path!r} leads out of the config directory ('..')"
    return None


def check_secret_file(path: str, *, root: Path, missing_ok: bool = False) -> str | None:
    """What keeps the file ``path`` (inside ``root``) from being a secret file, or None.

    Looks at the file system only (where the path leads, what kind of file, how big), never
    at the content. ``missing_ok``: ``validate`` runs on machines that hold none of the
    secrets, so a file that is not there is no problem yet; one that is there must be right.
    """
    problem = file_reference_problem(path)
    if problem is not None:
        return problem
    real = os.path.realpath(root / path)
    if not is_inside(real, os.path.realpath(root)):
        return f"secret file {path!r} is a symbolic link out of the config directory"
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return None if missing_ok else f"secret file {path!r} cannot be read: no such file"
    except OSError as exc:
        return f"secret file {path!r} cannot be read: {exc.strerror or type(exc).__name__}"
    if not stat.S_ISREG(info.st_mode):
        return f"secret file {path!r} is not a regular file"
    if info.st_size > SECRET_FILE_MAX:
        return f"secret file {path!r} is larger than {SECRET_FILE_MAX // 1024} KiB"
    return None


def resolve_secret(ref: SecretRef, *, where: str, env: Mapping[str, str], base_dir: Path) -> str:
    """The value ``ref`` points at.

    ``where`` names the document and field for errors, e.g.
    ``Organization acme: controlPlane.clientSecret``.
    """
    if ref.env is not None:
        value = env.get(ref.env)
        if value is None:
            raise SecretResolutionError(f"{where}: environment variable {ref.env} is not set")
        if value == "":
            raise SecretResolutionError(f"{where}: environment variable {ref.env} is empty")
        return value
    assert ref.file is not None
    problem = check_secret_file(ref.file, root=base_dir)
    if problem is not None:
        raise SecretResolutionError(f"{where}: {problem}")
    try:
        data = read_regular(base_dir / ref.file, limit=SECRET_FILE_MAX)
    except UnsafeFile as exc:
        raise SecretResolutionError(f"{where}: secret file {ref.file!r} {exc.reason}") from None
    if len(data) > SECRET_FILE_MAX:  # grew since the check
        raise SecretResolutionError(
            f"{where}: secret file {ref.file!r} is larger than {SECRET_FILE_MAX // 1024} KiB"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretResolutionError(
            f"{where}: secret file {ref.file!r} is not UTF-8 text"
        ) from None
    # Editors and `echo` add one newline; a secret never ends with one.
    text = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    if text == "":
        raise SecretResolutionError(f"{where}: secret file {ref.file!r} is empty")
    return text


def secret_refs(model: BaseModel, *, prefix: str = "") -> Iterator[tuple[str, SecretRef]]:
    """Every secret reference inside ``model``, with its dotted YAML path (``a.b[0].c``)."""
    for key_path, ref in secret_ref_paths(model):
        dotted = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in key_path)
        yield (f"{prefix}{dotted}" if prefix else dotted.removeprefix(".")), ref


def secret_ref_paths(model: BaseModel) -> Iterator[tuple[KeyPath, SecretRef]]:
    """Every secret reference inside ``model``, with its key path (for positions), in
    field order."""
    found: list[tuple[KeyPath, SecretRef]] = []
    for name, alias in _secret_fields(type(model)):
        _refs_in(getattr(model, name), (alias,), found)
    return iter(found)


def _refs_in(value: object, path: KeyPath, found: list[tuple[KeyPath, SecretRef]]) -> None:
    """Appends to ``found``: a chain of generators, one per level, cost a third more."""
    if value is None:
        return
    if isinstance(value, SecretRef):
        found.append((path, value))
    elif isinstance(value, BaseModel):
        for name, alias in _secret_fields(type(value)):
            _refs_in(getattr(value, name), (*path, alias), found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refs_in(item, (*path, index), found)


@functools.cache
def _secret_fields(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """The fields of ``cls`` whose type can hold a secret reference (name, YAML key).

    The walk above visits only these: most fields are strings, numbers or enums, and walking
    them for every one of 100,000 documents was most of the cost. Unsure means yes.
    """
    return tuple(
        (name, field.alias or name)
        for name, field in cls.model_fields.items()
        if _may_hold_ref(field.annotation, frozenset())
    )


_PLAIN = (str, int, float, bool, bytes, type(None), enum.Enum)


def _may_hold_ref(annotation: object, seen: frozenset[type]) -> bool:
    """Whether a value of ``annotation`` can be (or contain, through models, lists and tuples,
    the only containers ``_refs_in`` walks) a ``SecretRef``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is not None:
        if origin is typing.Annotated:
            return _may_hold_ref(typing.get_args(annotation)[0], seen)
        if isinstance(origin, type) and issubclass(origin, Mapping):
            return False  # mappings are not walked
        return any(
            _may_hold_ref(arg, seen) for arg in typing.get_args(annotation) if arg is not Ellipsis
        )
    if not isinstance(annotation, type):
        return True  # Any, type variables, forward references: walk them
    if issubclass(annotation, SecretRef):
        return True
    if issubclass(annotation, BaseModel):
        if annotation in seen:
            return True
        inner = seen | {annotation}
        return any(_may_hold_ref(f.annotation, inner) for f in annotation.model_fields.values())
    return not (issubclass(annotation, Mapping) or issubclass(annotation, _PLAIN))
