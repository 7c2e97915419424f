"""The loader: source files in, a validated ``DesiredState`` out, or one ``ConfigError`` with
every problem of every file, sorted.

Steps per file: size cap, text check (NUL bytes, UTF-8), YAML events to plain values with
positions (``yamlio``: refuses aliases, tags, deep nesting, too many nodes; reports duplicate
keys), then per document: a mapping with ``apiVersion`` and a known ``kind``, the pydantic
model, and finally the cross-document rules of ``config.validate`` over everything that
loaded. Empty documents (a stray ``---``, a file of comments) are skipped silently.

Must not: resolve secrets (``config.secrets``), read the file system beyond
``load_directory``'s listing and the ``stat`` of each secret file, or print.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from reconciler.collector import paused
from reconciler.config.desired import DesiredState, DocumentSource, dataplane_key
from reconciler.config.diagnostics import ConfigError, Diagnostic, Position
from reconciler.config.documents import FailedDocument, LoadedDocument, may_refer
from reconciler.config.messages import phrase
from reconciler.config.models import KINDS, DataPlane, Group, Organization, Region, Workspace
from reconciler.config.parallel import read_ahead
from reconciler.config.parsecache import ParseCache
from reconciler.config.placeholders import covers, may_hold, placeholders
from reconciler.config.placeholders import message as fill_in
from reconciler.config.positions import (
    PositionMap,
    document_position,
    key_position,
    value_position,
)
from reconciler.config.secrets import check_secret_file, file_reference_problem
from reconciler.config.sources import MAX_FILE_BYTES, SourceFile, scan_directory
from reconciler.config.stray import Census
from reconciler.config.suggest import yaml_type
from reconciler.config.validate import validate_documents
from reconciler.config.yamlio import RawDocument, YamlProblem, read_documents

_KIND_LIST = ", ".join(sorted(KINDS))


class _Collected:
    """Everything read so far: good documents, what is known of bad ones, diagnostics."""

    def __init__(self) -> None:
        self.documents: list[LoadedDocument] = []
        self.failed: list[FailedDocument] = []
        self.diagnostics: list[Diagnostic] = []
        #: Which files held flexctl documents: a directory that is not a config fails fast.
        self.census = Census()

    def error(self, position: Position, message: str) -> None:
        self.diagnostics.append(Diagnostic(position, message))


def load_directory(
    path: Path, *, exclude: Iterable[Path] = (), cache: ParseCache | None = None
) -> DesiredState:
    """Load every ``*.yaml``/``*.yml`` under ``path`` (see ``sources.scan_directory``; the
    folders in ``exclude`` are skipped, e.g. the run's state directory and render output);
    ``cache`` reads unchanged files' values back instead of parsing them (``parsecache``)."""
    where = Position(str(path))
    if not path.exists():
        raise ConfigError([Diagnostic(where, "config directory does not exist")])
    if not path.is_dir():
        raise ConfigError([Diagnostic(where, "config path is not a directory")])
    scan = scan_directory(path, exclude=exclude)
    unread = [
        Diagnostic(Position(p.display_path, p.line, 1 if p.line else 0), p.message)
        for p in scan.problems
    ]
    if not scan.files:
        if unread:
            raise ConfigError(unread)
        raise ConfigError([Diagnostic(where, "no *.yaml or *.yml files in the config directory")])
    return load_sources(
        scan.files, origin=str(path), problems=unread, secret_root=path, cache=cache
    )


@paused()
def load_sources(
    files: Iterable[SourceFile],
    *,
    origin: str = ".",
    problems: Iterable[Diagnostic] = (),
    secret_root: Path | None = None,
    cache: ParseCache | None = None,
) -> DesiredState:
    """Load and validate ``files``; ``origin`` names the whole config in config-wide errors;
    ``problems`` are the listing's own (paths that could not be read), reported with the rest.
    With ``secret_root``, every ``{file: PATH}`` is checked there too (kind, size, where it
    leads; never its content)."""
    collected = _Collected()
    collected.diagnostics.extend(problems)
    incomplete = bool(collected.diagnostics)
    read = cache.read_documents if cache is not None else _parse
    with read_ahead(files, read, cache=cache) as pairs:  # big configs: two cores (parallel)
        for source, read_one in pairs:
            _load_file(source, collected, read_one)
    if cache is not None:
        cache.finish()
    stray = collected.census.no_config_here(origin)
    if stray is not None:
        raise ConfigError([stray])  # the wrong directory: one error, not one per file
    collected.diagnostics.extend(
        validate_documents(
            collected.documents, failed=collected.failed, origin=origin, incomplete=incomplete
        )
    )
    if secret_root is not None:
        collected.diagnostics.extend(_secret_files(collected.documents, secret_root))
    if collected.diagnostics:
        raise ConfigError(collected.diagnostics)
    return build_state(collected.documents)


def _secret_files(documents: Iterable[LoadedDocument], root: Path) -> Iterable[Diagnostic]:
    for document in documents:
        for key_path, ref in document.secret_refs:
            if ref.file is None or file_reference_problem(ref.file) is not None:
                continue  # no file, or its form is wrong (validate's rule says so)
            problem = check_secret_file(ref.file, root=root, missing_ok=True)
            if problem is not None:
                yield Diagnostic(document.source.at(*key_path, "file"), problem)


def build_state(documents: list[LoadedDocument]) -> DesiredState:
    """The desired state of documents that passed every rule (exactly one Organization)."""
    organization = next(d.model for d in documents if isinstance(d.model, Organization))
    regions = sorted((d.model for d in documents if isinstance(d.model, Region)), key=_name)
    dataplanes = sorted(
        (d.model for d in documents if isinstance(d.model, DataPlane)), key=dataplane_key
    )
    workspaces = sorted((d.model for d in documents if isinstance(d.model, Workspace)), key=_name)
    groups = sorted((d.model for d in documents if isinstance(d.model, Group)), key=_name)
    return DesiredState(
        organization=organization,
        regions=tuple(regions),
        dataplanes=tuple(dataplanes),
        workspaces=tuple(workspaces),
        groups=tuple(groups),
        sources={(d.kind, identity(d)): d.source for d in documents},
        digest=digest([d.model for d in documents]),
    )


def _name(model: Region | Workspace | Group) -> str:
    return model.name


def identity(document: LoadedDocument) -> str:
    """The name part of a document's identity (data planes: ``region/name``)."""
    if isinstance(document.model, DataPlane):
        return dataplane_key(document.model)
    return document.name


def digest(models: Iterable[Organization | Region | DataPlane | Workspace | Group]) -> str:
    """sha256 of the canonical JSON of every document, sorted by kind and name.

    Independent of file names, document order and comments: moving a document between files
    does not change the digest, editing a value does. Canonical: ``json.dumps`` with sorted
    keys, ``(",", ":")`` separators and no ASCII escaping; orjson writes the same bytes for
    the documents that hold no float (all but a data plane's free-form ``values``), several
    times faster.
    """
    # One document dumped at a time: 100,000 dumps held at once doubled the peak memory.
    hasher = hashlib.sha256(b"[")
    for index, model in enumerate(sorted(models, key=_kind_and_name)):
        if index:
            hasher.update(b",")
        hasher.update(_canonical(model.kind, model.model_dump(mode="json", by_alias=True)))
    hasher.update(b"]")
    return hasher.hexdigest()


def _kind_and_name(model: Organization | Region | DataPlane | Workspace | Group) -> tuple[str, str]:
    name = dataplane_key(model) if isinstance(model, DataPlane) else model.name
    return model.kind, name


def _canonical(kind: str, body: dict[str, Any]) -> bytes:
    if kind != "DataPlane":
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # pragma: no cover - an int past 64 bits
            pass
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


# --------------------------------------------------------------------------- one file


def _parse(text: str, data: bytes) -> list[RawDocument]:
    return read_documents(text)


def _load_file(
    source: SourceFile,
    collected: _Collected,
    read: Callable[[str, bytes], list[RawDocument]] = _parse,
) -> None:
    path = source.display_path
    top = Position(path, 1, 1)
    census = collected.census
    if len(source.data) > MAX_FILE_BYTES:
        census.unparsed(path, source.data)
        collected.error(
            top,
            f"file is larger than {MAX_FILE_BYTES} bytes (1 MiB); config files are small, "
            "split it into several",
        )
        return
    text = _decode(source, collected)
    if text is None:
        census.unparsed(path, source.data)
        return
    try:
        documents = read(text, source.data)
    except YamlProblem as problem:
        census.unparsed(path, source.data)
        collected.error(Position(path, problem.line + 1, problem.column + 1), problem.message)
        return
    census.parsed(path, (raw.data for raw in documents))
    marked, refers = may_hold(text), may_refer(text)
    for raw in documents:
        _load_document(path, raw, collected, marked=marked, refers=refers)


def _decode(source: SourceFile, collected: _Collected) -> str | None:
    data = source.data
    nul = data.find(b"\x00")
    if nul >= 0:
        collected.error(
            _offset_position(source.display_path, data, nul),
            "file contains a NUL byte: it looks binary, not YAML text",
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        collected.error(
            _offset_position(source.display_path, data, exc.start),
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} is not valid UTF-8)",
        )
        return None


def _offset_position(path: str, data: bytes, offset: int) -> Position:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return Position(path, data.count(b"\n", 0, offset) + 1, offset - line_start + 1)


def _load_document(
    path: str, raw: RawDocument, collected: _Collected, *, marked: bool, refers: bool
) -> None:
    """One document; ``marked``: its file may hold placeholders (``placeholders.may_hold``);
    ``refers``: it may hold secret references (``documents.may_refer``)."""
    where = document_position(path, raw)
    data = raw.data
    if not isinstance(data, dict):
        collected.error(
            where,
            f"a document must be a mapping with apiVersion, kind and name, not {yaml_type(data)}",
        )
        return
    if raw.problems:
        for line, column, message in raw.problems:
            collected.error(Position(path, line + 1, column + 1), message)
        collected.failed.append(_failed(where, data))
        return
    model_type = _model_type(path, raw, data, collected)
    if model_type is None:
        collected.failed.append(_failed(where, data))
        return
    # What import could not know or guessed: "fill in" at the value, not a schema error.
    marks = list(placeholders(data)) if marked else []
    for mark_path, value in marks:
        collected.error(value_position(path, raw, mark_path), fill_in(mark_path, value))
    try:
        model: Any = model_type.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_context=True, include_input=True):
            loc = tuple(error["loc"])
            if covers(marks, loc):
                continue
            phrased = phrase(error, model=model_type)
            if phrased.anchor == "key":
                position = key_position(path, raw, loc)
            elif phrased.anchor == "parent":
                position = key_position(path, raw, loc[:-1])
            else:
                position = value_position(path, raw, loc)
            collected.error(position, phrased.message)
        collected.failed.append(_failed(where, data))
        return
    if marks:
        collected.failed.append(_failed(where, data))
        return
    source = DocumentSource(
        position=where,
        keys=PositionMap(path, raw.spans),
        values=PositionMap(path, raw.spans, values=True),
    )
    collected.documents.append(LoadedDocument(model=model, source=source, refers=refers))


def _failed(where: Position, data: dict[str, Any]) -> FailedDocument:
    """What is known of a document that did not load (made only for one that did not)."""
    kind, name = data.get("kind"), data.get("name")
    return FailedDocument(
        where,
        kind=kind if isinstance(kind, str) else None,
        name=name if isinstance(name, str) else None,
    )


def _model_type(
    path: str, raw: RawDocument, data: dict[str, Any], collected: _Collected
) -> type[Organization | Region | DataPlane | Workspace | Group] | None:
    where = document_position(path, raw)
    if "apiVersion" not in data:
        collected.error(where, "missing required key 'apiVersion' (flexctl/v1)")
    if "kind" not in data:
        collected.error(where, f"missing required key 'kind' (one of {_KIND_LIST})")
        return None
    kind = data["kind"]
    model_type = KINDS.get(kind) if isinstance(kind, str) else None
    if model_type is None:
        shown = repr(kind) if isinstance(kind, str) and len(kind) <= 40 else yaml_type(kind)
        collected.error(
            value_position(path, raw, ("kind",)), f"unknown kind {shown} (one of {_KIND_LIST})"
        )
        return None
    if "apiVersion" not in data:
        return None
    return model_type  # type: ignore[return-value]
