"""Secret references resolve only on demand; errors name document, field and source, not value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.loader import load_directory
from reconciler.config.models import SecretRef, Workspace
from reconciler.config.secrets import resolve_secret, secret_refs
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


def test_absolute_file_reference(tmp_path: Path) -> None:
    (tmp_path / "cp.txt").write_text("abc")
    ref = SecretRef(file=str(tmp_path / "cp.txt"))
    assert resolve_secret(ref, where=WHERE, env={}, base_dir=Path("/nonexistent")) == "abc"


def test_missing_file_names_document_field_and_path(tmp_path: Path) -> None:
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secret(SecretRef(file="cp.txt"), where=WHERE, env={}, base_dir=tmp_path)
    assert str(caught.value) == (
        f"{WHERE}: secret file {tmp_path / 'cp.txt'} cannot be read: No such file or directory"
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
