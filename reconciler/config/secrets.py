"""Secret references: turn ``{env: NAME}`` / ``{file: PATH}`` into a value, only when needed.

The loader never calls this: a config validates on a machine that holds none of its secrets.
Callers pass the environment and the base directory (the config root) explicitly, so tests
need no monkeypatching. Errors name the document, the field and the variable or file, and
never the value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel

from reconciler.config.models import SecretRef
from reconciler.errors import SecretResolutionError


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
    path = Path(ref.file)
    if not path.is_absolute():
        path = base_dir / path
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretResolutionError(
            f"{where}: secret file {path} cannot be read: {reason}"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretResolutionError(f"{where}: secret file {path} is not UTF-8 text") from None
    # Editors and `echo` add one newline; a secret never ends with one.
    text = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    if text == "":
        raise SecretResolutionError(f"{where}: secret file {path} is empty")
    return text


def secret_refs(model: BaseModel, *, prefix: str = "") -> Iterator[tuple[str, SecretRef]]:
    """Every secret reference inside ``model``, with its dotted YAML path (``a.b[0].c``)."""
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        path = f"{prefix}.{key}" if prefix else key
        yield from _refs_in(getattr(model, name), path)


def _refs_in(value: object, path: str) -> Iterator[tuple[str, SecretRef]]:
    if isinstance(value, SecretRef):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from secret_refs(value, prefix=path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _refs_in(item, f"{path}[{index}]")
