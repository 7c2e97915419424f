"""``kubernetes`` sink: create or update the data plane's Secret in its own cluster, through
the official client (kube context and namespace from the document; namespace created when
missing), then read it back.

The one-time client secret must survive an unreachable cluster: before talking to the
cluster the Secret is written to a 0600 pending copy in the state directory
(``credentials/<region>--<dataplane>.pending.yaml``), removed once the cluster holds it.
``read`` falls back to that copy. Every ``ApiException`` / urllib3 error is wrapped into a
``SinkError`` naming context, namespace and Secret, with any secret value scrubbed.
This is the only module that imports ``kubernetes``.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from reconciler.errors import SinkError
from reconciler.sinks.base import DataplaneCredentials, KubeClientFactory
from reconciler.sinks.file import FileSink
from reconciler.sinks.secretdata import (
    SecretContext,
    credentials_from,
    scrub,
    secret_data,
    secret_manifest,
)
from reconciler.statedir import StateDir

#: (connect, read) seconds per request: a cluster that does not answer is an error, not a hang.
REQUEST_TIMEOUT = (5.0, 30.0)


@contextmanager
def _client_warnings_silenced() -> Iterator[None]:
    """The kubernetes client calls urllib3's deprecated ``getheaders()`` whenever it builds an
    ``ApiException`` (every 404): that one warning is the library's, not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"HTTPResponse\.getheaders\(\) is deprecated",
            category=DeprecationWarning,
        )
        yield


class KubeconfigClientFactory:
    """Production factory: ``kubernetes.config.new_client_from_config(context=...)``."""

    def __init__(self, config_file: Path | None = None, *, retries: int = 1) -> None:
        self._config_file = config_file
        self._retries = retries

    def core_v1(self, context: str) -> Any:
        try:
            api_client = k8s_config.new_client_from_config(
                config_file=str(self._config_file) if self._config_file else None,
                context=context,
                persist_config=False,
            )
        except (ConfigException, OSError) as e:
            raise SinkError(f"kube context {context!r}: cannot load the kubeconfig: {e}") from e
        api_client.configuration.retries = self._retries
        return k8s.CoreV1Api(api_client)


class KubernetesSink:
    def __init__(
        self, ctx: SecretContext, *, factory: KubeClientFactory, pending: Path, state_dir: StateDir
    ) -> None:
        self._ctx = ctx
        self._factory = factory
        self._pending = FileSink(ctx, pending, state_dir=state_dir)
        self._context = ctx.dataplane.cluster.kube_context
        self._namespace = ctx.dataplane.cluster.namespace
        self._name = ctx.spec.name

    def describe(self) -> str:
        return f"kubernetes Secret {self._namespace}/{self._name} (context {self._context})"

    def _fail(self, action: str, e: Exception, secrets: list[str], *, kept: bool) -> SinkError:
        if isinstance(e, ApiException):
            reason = f"HTTP {e.status} {e.reason}"
            try:
                message = json.loads(e.body or "{}").get("message")
            except (ValueError, AttributeError):
                message = None
            if message:
                reason += f": {str(message)[:300]}"
        else:
            reason = f"cluster unreachable ({type(e).__name__})"
        text = (
            f"{self._ctx.label}: kubernetes sink: cannot {action} Secret {self._name!r} in "
            f"namespace {self._namespace!r} (context {self._context!r}): {reason}"
        )
        if kept:
            text += (
                f"; the credentials are kept in {self._pending.path} (0600) until a write succeeds"
            )
        return SinkError(scrub(text, secrets))

    def write(self, creds: DataplaneCredentials) -> None:
        data, problems = secret_data(self._ctx, creds)
        secrets = [creds.client_id, creds.client_secret, *data.values()]
        self._pending.write_data(creds, data)  # first: the client secret is shown only once
        api = self._factory.core_v1(self._context)
        try:
            with _client_warnings_silenced():
                self._ensure_namespace(api)
                self._upsert(api, secret_manifest(self._ctx, creds, data))
                stored = self._read_remote(api)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            raise self._fail("write", e, secrets, kept=True) from e
        if stored is None or stored[1] != data or credentials_from(*stored) != creds:
            raise SinkError(
                f"{self._ctx.label}: {self.describe()}: read back differs from what was written; "
                f"the credentials are kept in {self._pending.path}"
            )
        self._pending.delete()
        if problems:
            raise SinkError(
                f"{self._ctx.label}: credentials stored in {self.describe()}, but the Secret is "
                "incomplete: " + "; ".join(problems)
            )

    def _ensure_namespace(self, api: Any) -> None:
        try:
            api.read_namespace(self._namespace, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as e:
            if e.status != 404:
                raise
            body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self._namespace}}
            try:
                api.create_namespace(body, _request_timeout=REQUEST_TIMEOUT)
            except ApiException as race:
                if race.status != 409:  # created meanwhile: fine
                    raise

    def _upsert(self, api: Any, body: dict[str, Any]) -> None:
        try:
            existing = api.read_namespaced_secret(
                self._name, self._namespace, _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as e:
            if e.status != 404:
                raise
            api.create_namespaced_secret(self._namespace, body, _request_timeout=REQUEST_TIMEOUT)
            return
        # Replace, not merge: flexctl owns this Secret, keys it no longer renders must go.
        body["metadata"]["resourceVersion"] = existing.metadata.resource_version
        api.replace_namespaced_secret(
            self._name, self._namespace, body, _request_timeout=REQUEST_TIMEOUT
        )

    def _read_remote(self, api: Any) -> tuple[dict[str, Any], dict[str, str]] | None:
        try:
            secret = api.read_namespaced_secret(
                self._name, self._namespace, _request_timeout=REQUEST_TIMEOUT
            )
        except ApiException as e:
            if e.status == 404:
                return None
            raise
        data = {
            key: base64.b64decode(value).decode("utf-8")
            for key, value in (secret.data or {}).items()
        }
        return dict(secret.metadata.annotations or {}), data

    def read(self) -> DataplaneCredentials | None:
        api = self._factory.core_v1(self._context)
        try:
            with _client_warnings_silenced():
                stored = self._read_remote(api)
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
            raise self._fail("read", e, [], kept=False) from e
        if stored is None:
            return self._pending.read()
        creds = credentials_from(*stored)
        if creds is None:
            raise SinkError(
                f"{self.describe()}: the Secret lacks the data-plane client id or secret"
            )
        return creds

    def delete(self) -> None:
        api = self._factory.core_v1(self._context)
        try:
            with _client_warnings_silenced():
                api.delete_namespaced_secret(
                    self._name, self._namespace, _request_timeout=REQUEST_TIMEOUT
                )
        except ApiException as e:
            if e.status != 404:
                raise self._fail("delete", e, [], kept=False) from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise self._fail("delete", e, [], kept=False) from e
        self._pending.delete()
