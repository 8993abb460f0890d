"""A real S3 API for the tests: moto's server on loopback, started once per test session."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

ACCESS_KEY = "AKIASTACKYARDTEST01"
SECRET_KEY = "stackyard-test-secret-8d41c0e2"

_CREDENTIAL_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_DEFAULT_REGION",
)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto S3 server running in this process for the whole session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    saved = {name: os.environ.get(name) for name in _CREDENTIAL_ENV}
    empty = tmp_path_factory.mktemp("no-aws-config") / "none"
    # No developer's ~/.aws and no instance metadata lookup (a non-loopback address) during the tests.
    os.environ.update(
        AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_CONFIG_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1",
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def test_credentials() -> tuple[str, str]:
    """The access key id and secret the tests use (moto accepts any)."""
    return ACCESS_KEY, SECRET_KEY


@pytest.fixture
def aws_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials from the environment: the standard AWS chain, as on a developer's machine."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere in the AWS chain: only what the component is given can work."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    """A boto3 client of the session's server, for arranging and checking (not through the store)."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
    )


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """A new, empty bucket on the session's S3 server."""
    name = f"stackyard-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_objects(s3_client: Any) -> Any:
    """``s3_objects(bucket)``: every key of a bucket with its bytes, read with boto3 (not through the store)."""
    client = s3_client

    def read(name: str) -> dict[str, bytes]:
        keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=name)
                for item in page.get("Contents", [])]
        return {key: client.get_object(Bucket=name, Key=key)["Body"].read() for key in keys}

    return read
