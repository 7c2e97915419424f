"""The S3 backend: one object per document under ``s3://BUCKET/PREFIX/``.

Every write is conditional (S3 conditional writes, so no DynamoDB): ``If-None-Match: *``
creates (taking the lock), ``If-Match: <etag>`` replaces or deletes; a 412 / 409 answer is a
ConflictError. Credentials and endpoint come from boto3's standard chain, including
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` for MinIO, Ceph or R2. boto3's own retries
(standard mode) cover transient network errors; a conditional write retried after a lost
answer can report a conflict for a write that landed, which callers treat as "re-read".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import StateError
from reconciler.state.base import ConflictError, StateBackend
from reconciler.state.url import StateUrl

_CONFLICT = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class S3Backend(StateBackend):
    def __init__(
        self,
        url: StateUrl,
        *,
        env: Mapping[str, str] | None = None,
        client: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(url, **({"clock": clock} if clock else {}))
        self.bucket = url.location
        self.prefix = f"{url.path}/" if url.path else ""
        self._client = client if client is not None else _client(env)
        self._checked = False

    def _call(self, operation: str, key: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in _CONFLICT:
                raise ConflictError(f"{self.url}: {key}: changed since it was read") from e
            if code in ("NoSuchKey", "404") and operation == "get_object":
                return None
            if code == "NoSuchBucket":
                raise StateError(
                    f"{self.url}: bucket {self.bucket} does not exist ({operation} {key})"
                ) from e
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                raise StateError(
                    f"{self.url}: {key}: access denied ({operation}: {code}); "
                    "check the AWS credentials and the bucket policy"
                ) from e
            raise StateError(f"{self.url}: {key}: {operation} failed: {code or e}") from e
        except BotoCoreError as e:
            raise StateError(f"{self.url}: {key}: {operation} failed: {e}") from e

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        answer = self._call("get_object", key, Key=self.prefix + key)
        if answer is None:
            return None, None
        return answer["Body"].read(), str(answer["ETag"])

    def _put(self, key: str, data: bytes, *, expect: str | None, message: str) -> str:
        condition = {"IfNoneMatch": "*"} if expect is None else {"IfMatch": expect}
        answer = self._call(
            "put_object",
            key,
            Key=self.prefix + key,
            Body=data,
            ContentType="application/json",
            **condition,
        )
        return str(answer["ETag"])

    def _delete(self, key: str, *, expect: str, message: str) -> None:
        self._call("delete_object", key, Key=self.prefix + key, IfMatch=expect)

    def _list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: dict[str, str] = {}
        while True:
            page = self._call("list_objects_v2", prefix, Prefix=self.prefix + prefix, **token)
            keys += [str(o["Key"]).removeprefix(self.prefix) for o in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = {"ContinuationToken": page["NextContinuationToken"]}


def _client(env: Mapping[str, str] | None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise StateError("the s3 state backend needs boto3: pip install 'flexctl[s3]'") from e
    # Short timeouts: a state backend that does not answer should fail the run quickly.
    config = Config(
        connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"}
    )
    if env is None:
        return boto3.client("s3", config=config)
    session = boto3.session.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
        profile_name=env.get("AWS_PROFILE") if not env.get("AWS_ACCESS_KEY_ID") else None,
    )
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    return session.client("s3", config=config, endpoint_url=endpoint or None)
