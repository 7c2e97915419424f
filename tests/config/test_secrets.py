"""Secret references resolve only on demand; errors name document, field and source, not value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config.loader import load_directory
from reconciler.config.models import SecretRef, Workspace
from reconciler.config.secrets import (
    SECRET_FILE_MAX,
    check_secret_file,
    resolve_secret,
    secret_refs,
)
from reconciler.errors import SecretResolutionError

WHERE = "Organization acme: controlPlane.clientSecret"


def test_env_reference_resolves() -> None:
    ref = SecretRef(env="CP_SECRET")
    assert (
        resolve_secret(ref, where=WHERE, env={"CP_SECRET": "s3cr3t"}, base_dir=Path()) == "s3cr3t"
    )


def test_missing_env_names_document_field_and_variable() -> None:
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secret(SecretRef(env="CP_SECRET"), where=WHERE, env={"OTHER": "x"}, base_dir=Path())
    assert str(caught.value) == (
        "Organization acme: controlPlane.clientSecret: environment variable CP_SECRET is not set"
    )


def test_empty_env_is_an_error() -> None:
    with pytest.raises(SecretResolutionError, match="CP_SECRET is empty"):
        resolve_secret(
            SecretRef(env="CP_SECRET"), where=WHERE, env={"CP_SECRET": ""}, base_dir=Path()
        )


def test_file_reference_is_relative_to_base_dir_and_loses_one_newline(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "cp.txt").write_text("s3cr3t\n\n")
    ref = SecretRef(file="secrets/cp.txt")
    assert resolve_secret(ref, where=WHERE, env={}, base_dir=tmp_path) == "s3cr3t\n"


def test_crlf_counts_as_one_newline(tmp_path: Path) -> None:
    (tmp_path / "cp.txt").write_bytes(b"s3cr3t\r\n")
    ref = SecretRef(file="cp.txt")
    assert resolve_secret(ref, where=WHERE, env={}, base_dir=tmp_path) == "s3cr3t"


def test_missing_file_names_document_field_and_path(tmp_path: Path) -> None:
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secret(SecretRef(file="cp.txt"), where=WHERE, env={}, base_dir=tmp_path)
    assert str(caught.value) == (f"{WHERE}: secret file 'cp.txt' cannot be read: no such file")


def _hostile(root: Path) -> None:
    """One of each file a reference must not read, inside and around the config root."""
    (root / "config").mkdir()
    (root / "outside.txt").write_text("outside-canary")
    (root / "config" / "link-out").symlink_to(root / "outside.txt")
    (root / "config" / "link-in").symlink_to("ok.txt")
    (root / "config" / "ok.txt").write_text("inside")
    os.mkfifo(root / "config" / "pipe")
    (root / "config" / "folder").mkdir()
    (root / "config" / "big").write_bytes(b"x" * (SECRET_FILE_MAX + 1))
    (root / "config" / "at-limit").write_bytes(b"y" * SECRET_FILE_MAX)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/dev/zero", "is an absolute path; {file: PATH} is relative to the config directory"),
        ("/etc/hostname", "is an absolute path"),
        ("../outside.txt", "leads out of the config directory ('..')"),
        ("folder/../../outside.txt", "leads out of the config directory ('..')"),
        ("link-out", "is a symbolic link out of the config directory"),
        ("pipe", "is not a regular file"),
        ("folder", "is not a regular file"),
        ("big", "is larger than 64 KiB"),
        ("", "the secret file path is empty"),
    ],
)
def test_file_references_read_only_small_regular_files_inside_the_root(
    tmp_path: Path, path: str, problem: str
) -> None:
    _hostile(tmp_path)
    root = tmp_path / "config"
    assert problem in (check_secret_file(path, root=root) or "")
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secret(SecretRef(file=path), where=WHERE, env={}, base_dir=root)
    assert str(caught.value).startswith(f"{WHERE}: ")
    assert problem in str(caught.value)
    assert "outside-canary" not in str(caught.value)


def test_links_inside_the_root_and_files_at_the_limit_are_read(tmp_path: Path) -> None:
    _hostile(tmp_path)
    root = tmp_path / "config"
    assert resolve_secret(SecretRef(file="link-in"), where=WHERE, env={}, base_dir=root) == "inside"
    assert len(resolve_secret(SecretRef(file="at-limit"), where=WHERE, env={}, base_dir=root)) == (
        SECRET_FILE_MAX
    )


@pytest.mark.parametrize("content", [b"", b"\n", b"\xff\xfesecret"])
def test_unusable_file_never_shows_its_content(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "cp.txt").write_bytes(content)
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secret(SecretRef(file="cp.txt"), where=WHERE, env={}, base_dir=tmp_path)
    assert str(caught.value).startswith(f"{WHERE}: secret file ")
    assert "secret\n" not in str(caught.value) and "\xfe" not in str(caught.value)


def test_loading_never_resolves(example_copy: Path) -> None:
    # The example references US_ANALYTICS_SLACK_WEBHOOK, which is not set here.
    state = load_directory(example_copy)
    workspace = next(w for w in state.workspaces if w.name == "us-analytics")
    refs = dict(secret_refs(workspace))
    assert refs == {
        "notifications.failure.webhook.url": SecretRef(env="US_ANALYTICS_SLACK_WEBHOOK")
    }


def test_secret_refs_walks_lists_and_nested_models() -> None:
    workspace = Workspace.model_validate(
        {
            "apiVersion": "flexctl/v1",
            "kind": "Workspace",
            "name": "w",
            "region": "EU",
            "notifications": {
                "failure": {"webhook": {"url": {"file": "hook"}}},
                "success": {"webhook": {"url": {"env": "HOOK"}}},
            },
        }
    )
    assert [path for path, _ in secret_refs(workspace)] == [
        "notifications.failure.webhook.url",
        "notifications.success.webhook.url",
    ]


def _every_ref(value: object, path: tuple[str | int, ...]) -> list[tuple[object, SecretRef]]:
    """The walk without the per-class field pruning: every field of every model."""
    from pydantic import BaseModel

    if isinstance(value, SecretRef):
        return [(path, value)]
    if isinstance(value, BaseModel):
        return [
            found
            for name, field in type(value).model_fields.items()
            for found in _every_ref(getattr(value, name), (*path, field.alias or name))
        ]
    if isinstance(value, list | tuple):
        return [found for i, item in enumerate(value) for found in _every_ref(item, (*path, i))]
    return []


@pytest.mark.parametrize(
    ("storage", "manager", "delivery"),
    [
        ("s3-keys", "aws-keys", "vault-sink"),
        ("gcs", "google-key", "external"),
        ("azure", "azure-client-secret", "file"),
        ("minio", "vault-token", "file"),
    ],
)
def test_the_pruned_walk_finds_every_reference_the_full_walk_finds(
    tmp_path: Path, storage: str, manager: str, delivery: str
) -> None:
    """secret_ref_paths skips fields whose type cannot hold a reference; on configs with
    references in storage, secrets manager, sinks and control plane it finds exactly what
    walking every field finds."""
    from reconciler.config.secrets import secret_ref_paths
    from tests.render.test_real_chart import Case, write_case

    config = write_case(Case(storage=storage, secrets_manager=manager, delivery=delivery), tmp_path)
    desired = load_directory(config)
    found = 0
    for model in [desired.organization, *desired.regions, *desired.dataplanes]:
        full = _every_ref(model, ())
        assert list(secret_ref_paths(model)) == full
        found += len(full)
    assert found >= 2  # the test sees references (none would prove nothing)
