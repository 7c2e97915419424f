"""``file`` sink (the default): a 0600 Secret manifest in the state directory,
``credentials/<region>--<dataplane>.yaml``, ready for ``kubectl apply -f``.
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from reconciler.errors import SinkError
from reconciler.render.kube_schema import validate_manifest
from reconciler.render.yamlout import dump
from reconciler.sinks.base import DataplaneCredentials
from reconciler.sinks.secretdata import (
    SecretContext,
    credentials_from,
    secret_data,
    secret_manifest,
)
from reconciler.statedir import StateDir, write_private


class FileSink:
    def __init__(self, ctx: SecretContext, path: Path, *, state_dir: StateDir) -> None:
        self._ctx = ctx
        self.path = path
        self._state_dir = state_dir

    def describe(self) -> str:
        return f"file {self.path}"

    def write(self, creds: DataplaneCredentials) -> None:
        data, problems = secret_data(self._ctx, creds)
        self.write_data(creds, data)
        if problems:
            raise SinkError(
                f"{self._ctx.label}: credentials stored in {self.describe()}, but the Secret is "
                "incomplete: " + "; ".join(problems)
            )

    def write_data(self, creds: DataplaneCredentials, data: dict[str, str]) -> None:
        manifest = secret_manifest(self._ctx, creds, data)
        invalid = validate_manifest(manifest)
        if invalid:
            raise SinkError(f"{self._ctx.label}: Secret would be invalid: {'; '.join(invalid)}")
        header = f"Credentials of {self._ctx.label}. SECRET: never commit, never copy into Git."
        try:
            prepare(self._state_dir, self.path)
            write_private(self.path, dump(manifest, header=header))
        except OSError as e:
            raise SinkError(f"{self.describe()}: cannot write: {e.strerror or e}") from e
        stored = self._read_data()
        if stored is None or stored[1] != data or self.read() != creds:
            raise SinkError(f"{self.describe()}: read back differs from what was written")

    def _read_data(self) -> tuple[dict[str, object], dict[str, str]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SinkError(f"{self.describe()}: cannot read: {e.strerror or e}") from e
        try:
            doc = YAML(typ="safe", pure=True).load(text)
        except YAMLError as e:
            raise SinkError(f"{self.describe()}: not a YAML Secret manifest") from e
        if not isinstance(doc, dict) or doc.get("kind") != "Secret":
            raise SinkError(f"{self.describe()}: not a Secret manifest")
        meta = doc.get("metadata") or {}
        data = doc.get("stringData") or {}
        return dict(meta.get("annotations") or {}), {str(k): str(v) for k, v in data.items()}

    def read(self) -> DataplaneCredentials | None:
        stored = self._read_data()
        if stored is None:
            return None
        creds = credentials_from(stored[0], stored[1])
        if creds is None:
            raise SinkError(
                f"{self.describe()}: the Secret lacks the data-plane client id or secret"
            )
        return creds

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


def prepare(state_dir: StateDir, path: Path) -> None:
    """State directory with its .gitignore, and the file's folder, private (0700)."""
    state_dir.ensure()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
