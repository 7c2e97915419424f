"""``aws-secrets-manager`` sink: the data plane's secret (a JSON SecretString) in AWS
Secrets Manager through boto3 with the standard credential chain; optional endpoint URL
(a VPC endpoint, or moto in the tests), KMS key and tags.

The only module that imports boto3; ``botocore`` errors become ``SinkError`` naming the
region, endpoint and secret name. One retry at most and short timeouts: an unreachable
endpoint fails fast with its URL.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from reconciler.config.models import AwsSecretsManagerSink
from reconciler.errors import SinkError
from reconciler.sinks.managed import sink_path, string_map
from reconciler.sinks.secretdata import SecretContext

_CONFIG = Config(
    connect_timeout=5, read_timeout=20, retries={"total_max_attempts": 2, "mode": "standard"}
)


class AwsSecretsManagerBackend:
    def __init__(self, ctx: SecretContext, config: AwsSecretsManagerSink) -> None:
        self._config = config
        self.name = sink_path(config.name, ctx.dataplane)
        self._client: Any = None

    def describe(self) -> str:
        where = f" at {self._config.endpoint_url}" if self._config.endpoint_url else ""
        return f"aws-secrets-manager {self._config.region}{where} {self.name}"

    def _sm(self) -> Any:
        if self._client is None:
            try:
                self._client = boto3.session.Session().client(
                    "secretsmanager",
                    region_name=self._config.region,
                    endpoint_url=self._config.endpoint_url,
                    config=_CONFIG,
                )
            except BotoCoreError as e:
                raise SinkError(f"{self.describe()}: cannot set up the client: {e}") from e
        return self._client

    def _call(self, action: str, fn: Any) -> Any:
        try:
            return fn(self._sm())
        except ClientError as e:
            error = e.response.get("Error", {})
            code = error.get("Code", "error")
            raise SinkError(f"{self.describe()}: cannot {action}: {code}") from e
        except EndpointConnectionError as e:
            url = e.kwargs.get("endpoint_url")
            raise SinkError(
                f"{self.describe()}: cannot {action}: endpoint unreachable ({url})"
            ) from e
        except BotoCoreError as e:
            raise SinkError(f"{self.describe()}: cannot {action}: {type(e).__name__}") from e

    def put(self, payload: dict[str, str]) -> None:
        text = json.dumps(payload, sort_keys=True)
        config = self._config

        def put(sm: Any) -> None:
            try:
                sm.put_secret_value(SecretId=self.name, SecretString=text)
                return
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
            extra: dict[str, Any] = {}
            if config.kms_key_id:
                extra["KmsKeyId"] = config.kms_key_id
            if config.tags:
                extra["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(config.tags.items())]
            sm.create_secret(Name=self.name, SecretString=text, **extra)

        self._call("write", put)

    def get(self) -> dict[str, str] | None:
        def get(sm: Any) -> Any:
            try:
                return sm.get_secret_value(SecretId=self.name)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return None
                raise

        answer = self._call("read", get)
        if answer is None:
            return None
        try:
            value = json.loads(answer.get("SecretString") or "")
        except ValueError:
            value = None
        return string_map(value, where=self.describe())

    def remove(self) -> None:
        def delete(sm: Any) -> None:
            try:
                sm.delete_secret(SecretId=self.name, ForceDeleteWithoutRecovery=True)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise

        self._call("delete", delete)
