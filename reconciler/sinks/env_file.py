"""``env-file`` sink: ``KEY=value`` lines in a 0600 file inside the state directory, for
tools such as Airbox that read credentials from the environment: ``DATAPLANE_ID`` and every
key of the data plane's Secret (empty where ambient identity is used), so
``kubectl create secret generic --from-env-file`` builds a Secret the chart can start with.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import SinkError
from reconciler.render.names import CLIENT_ID_KEY, CLIENT_SECRET_KEY
from reconciler.sinks.base import DataplaneCredentials
from reconciler.sinks.file import prepare
from reconciler.sinks.secretdata import SecretContext, secret_data
from reconciler.statedir import StateDir, write_private

ID_KEY = "DATAPLANE_ID"


class EnvFileSink:
    def __init__(self, ctx: SecretContext, path: Path, *, state_dir: StateDir) -> None:
        self.path = path
        self._ctx = ctx
        self._label = ctx.label
        self._state_dir = state_dir

    def describe(self) -> str:
        return f"env-file {self.path}"

    def write(self, creds: DataplaneCredentials) -> None:
        data, problems = secret_data(self._ctx, creds)
        values = {ID_KEY: creds.dataplane_id, **data}
        for key, value in list(values.items()):
            if not any(c in value for c in "\n\r\0"):
                continue
            if key in (ID_KEY, CLIENT_ID_KEY, CLIENT_SECRET_KEY):
                raise SinkError(
                    f"{self._label}: {key} contains a line break; cannot be an env file line"
                )
            # A multi-line value (a JSON key file) cannot be one line: left out and reported,
            # the one-time client secret is stored whatever else fails.
            del values[key]
            problems.append(f"key {key} left out: its value has a line break")
        text = f"# Credentials of {self._label}. SECRET: never commit.\n" + "".join(
            f"{key}={value}\n" for key, value in values.items()
        )
        try:
            prepare(self._state_dir, self.path)
            write_private(self.path, text)
        except OSError as e:
            raise SinkError(f"{self.describe()}: cannot write: {e.strerror or e}") from e
        if self.read() != creds:
            raise SinkError(f"{self.describe()}: read back differs from what was written")
        if problems:
            raise SinkError(
                f"{self._label}: credentials stored in {self.describe()}, but the Secret is "
                "incomplete: " + "; ".join(problems)
            )

    def read(self) -> DataplaneCredentials | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as e:
            raise SinkError(f"{self.describe()}: cannot read: {e.strerror or e}") from e
        values = dict(
            line.split("=", 1)
            for line in text.splitlines()
            if "=" in line and not line.startswith("#")
        )
        if CLIENT_ID_KEY not in values or CLIENT_SECRET_KEY not in values:
            raise SinkError(f"{self.describe()}: lacks {CLIENT_ID_KEY} or {CLIENT_SECRET_KEY}")
        return DataplaneCredentials(
            dataplane_id=values.get(ID_KEY, ""),
            client_id=values[CLIENT_ID_KEY],
            client_secret=values[CLIENT_SECRET_KEY],
        )

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
