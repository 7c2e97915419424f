"""The loopback servers behave as the backends rely on: S3 conditional writes answer 412,
Secrets Manager round-trips, OpenBao serves KV v2."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest_plugin import OpenBao, unique_name


def test_s3_conditional_put_is_refused_the_second_time(aws_env: str) -> None:
    s3 = boto3.client("s3")
    bucket = unique_name("probe")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="lock", Body=b"a", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="lock", Body=b"b", IfNoneMatch="*")
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"


def test_secrets_manager_round_trip(aws_env: str) -> None:
    sm = boto3.client("secretsmanager")
    name = unique_name("probe")
    sm.create_secret(Name=name, SecretString='{"k": "v"}')
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {"k": "v"}


def test_openbao_kv2_round_trip(openbao: OpenBao) -> None:
    body = json.dumps({"data": {"k": "v"}}).encode()
    headers = {"X-Vault-Token": openbao.root_token, "Content-Type": "application/json"}
    put = urllib.request.Request(
        f"{openbao.url}/v1/secret/data/probe", data=body, headers=headers, method="POST"
    )
    urllib.request.urlopen(put, timeout=5).close()
    get = urllib.request.Request(f"{openbao.url}/v1/secret/data/probe", headers=headers)
    with urllib.request.urlopen(get, timeout=5) as answer:
        assert json.load(answer)["data"]["data"] == {"k": "v"}
