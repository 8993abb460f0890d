"""The S3 artifact store against a real S3 API (moto's server on loopback)."""

from __future__ import annotations

import pytest

from stackyard.testing import ArtifactStoreConformance
from stackyard.testing.assertions import modules_imported_by
from stackyard_s3.artifact_store import S3ArtifactStore


class TestS3ArtifactStore(ArtifactStoreConformance):
    large_file_size = 12 * 1024 * 1024  # more than two multipart chunks of s3fs's writer

    @pytest.fixture
    def artifact_store(self, s3_endpoint: str, bucket: str, aws_env_credentials: None) -> S3ArtifactStore:
        return S3ArtifactStore(name="test", path=f"s3://{bucket}/artifacts", endpoint_url=s3_endpoint)


class TestS3ArtifactStoreAtTheBucketRoot(ArtifactStoreConformance):
    large_file_size = 6 * 1024 * 1024

    @pytest.fixture
    def artifact_store(self, s3_endpoint: str, bucket: str, aws_env_credentials: None) -> S3ArtifactStore:
        return S3ArtifactStore(name="root", path=f"s3://{bucket}", endpoint_url=s3_endpoint)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/tmp/artifacts", "not supported by the s3 artifact store"),
        ("gs://bucket/x", "not supported by the s3 artifact store"),
        ("s3://Bad_Bucket/x", "does not name a valid S3 bucket"),
        ("s3://ab/x", "does not name a valid S3 bucket"),
        ("s3://bucket/a/../b", "'..' path segment"),
        ("s3://bucket/a//b", "empty"),
    ],
)
def test_a_bad_path_is_refused_naming_the_fix(path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        S3ArtifactStore(name="x", path=path)


def test_an_endpoint_with_credentials_in_it_is_refused() -> None:
    with pytest.raises(ValueError, match="without credentials"):
        S3ArtifactStore(name="x", path="s3://bucket/x", endpoint_url="http://user:pw@127.0.0.1:9000")


def test_key_and_secret_take_only_secret_references(stackyard_cli) -> None:
    result = stackyard_cli(
        "artifact-store", "register", "s3", "--flavor=s3", "--path=s3://bucket/x",
        "--key=AKIAPLAINVALUE", "--secret=plain-secret-value",
    )
    assert result.exit_code != 0
    assert "sensitive" in result.output and "{{" in result.output
    assert "plain-secret-value" not in result.output and "Traceback" not in result.output
    assert "s3" not in stackyard_cli("artifact-store", "list").output.split("default")[-1]


def test_registered_with_references_and_described_without_values(stackyard_cli) -> None:
    result = stackyard_cli(
        "artifact-store", "register", "shared", "--flavor=s3", "--path=s3://ml-artifacts/team",
        "--endpoint_url=http://127.0.0.1:9000", "--region=eu-west-1",
        "--key={{aws.key}}", "--secret={{aws.secret}}",
    )
    assert result.exit_code == 0, result.output
    described = stackyard_cli("artifact-store", "describe", "shared").output
    assert "{{aws.secret}}" in described and "s3://ml-artifacts/team" in described


def test_using_an_unresolved_reference_says_where_it_is_resolved() -> None:
    store = S3ArtifactStore(name="s3", path="s3://bucket/x", key="{{aws.key}}", secret="{{aws.secret}}")
    with pytest.raises(RuntimeError, match="still holds a secret reference"):
        store.exists("s3://bucket/x/a")


def test_a_missing_bucket_is_file_not_found(s3_endpoint: str, aws_env_credentials: None) -> None:
    store = S3ArtifactStore(name="s3", path="s3://no-such-bucket-here/x", endpoint_url=s3_endpoint)
    assert not store.exists("s3://no-such-bucket-here/x")
    with pytest.raises(FileNotFoundError, match="no-such-bucket-here"):
        store.makedirs("s3://no-such-bucket-here")


def test_the_flavor_is_listed_and_listing_does_not_import_s3fs(stackyard_config) -> None:
    loaded = modules_imported_by(
        "from stackyard import Repository\n"
        "assert [f.name for f in Repository().get_flavors('artifact_store') if f.name == 's3'] == ['s3']\n"
    )
    assert sorted(m for m in ("s3fs", "aiobotocore", "botocore", "fsspec") if m in loaded) == []
