"""Pipelines on a local orchestrator + SQLite metadata store + S3 artifact store, credentials from secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stackyard import Repository
from stackyard.exceptions import SecretReferenceError
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard.testing.sample_pipelines import diamond


def _s3_stack(
    repo: Repository, tmp_path: Path, endpoint: str, bucket: str, credentials: tuple[str, str], *,
    with_secret: bool = True,
) -> Stack:
    default = repo.active_stack
    manager = repo.get_flavor("secrets_manager", "local").create("vault", {"path": str(tmp_path / "vault.json")})
    repo.register_stack_component(manager)
    if with_secret:
        manager.register_secret("aws", {"key": credentials[0], "secret": credentials[1]})
    store = repo.get_flavor("artifact_store", "s3").create(
        "s3",
        {"path": f"s3://{bucket}/runs", "endpoint_url": endpoint, "region": "us-east-1",
         "key": "{{aws.key}}", "secret": "{{aws.secret}}"},
    )
    repo.register_stack_component(store)
    stack = Stack("cloud", orchestrator=default.orchestrator, artifact_store=store,
                  metadata_store=default.metadata_store, secrets_manager=manager)
    repo.register_stack(stack)
    repo.activate_stack("cloud")
    return stack


def _files_holding(texts: tuple[str, ...], *folders: Path, skip: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path != skip and any(t.encode() in path.read_bytes() for t in texts):
                found.append(str(path))
    return found


def test_a_pipeline_runs_on_s3_and_its_artifacts_read_back(
    stackyard_repository: Repository, stackyard_config: Path, tmp_path: Path, s3_endpoint: str, bucket: str,
    no_aws_credentials: None, test_credentials: tuple[str, str], s3_objects: Any,
) -> None:
    _s3_stack(stackyard_repository, tmp_path, s3_endpoint, bucket, test_credentials)

    run = diamond(n=2).run(run_name="on-s3")

    assert run.status is ExecutionStatus.COMPLETED
    again = Repository().get_pipeline("diamond").runs[-1]
    assert again.get_step("add").output.read() == 10
    assert again.get_step("double").output.read() == 4
    assert again.get_step("add").output.uri.startswith(f"s3://{bucket}/runs/")
    objects = s3_objects(bucket)
    assert objects and all(key.startswith("runs/") for key in objects)  # the artifacts really are in the bucket
    # the credentials were used (no other source in the environment) and are written nowhere
    assert run.stack["components"]["artifact_store"]["config"]["secret"] == "{{aws.secret}}"
    secrets = test_credentials
    vault = tmp_path / "vault.json"
    assert _files_holding(secrets, stackyard_config, Path.cwd(), tmp_path, skip=vault) == []
    assert any(p.suffix == ".db" for p in stackyard_config.rglob("*")), "the metadata database was searched"
    assert [key for key, data in objects.items() if any(s.encode() in data for s in secrets)] == []


def test_the_second_run_is_served_from_cache(
    stackyard_repository: Repository, tmp_path: Path, s3_endpoint: str, bucket: str, no_aws_credentials: None, test_credentials: tuple[str, str]
) -> None:
    _s3_stack(stackyard_repository, tmp_path, s3_endpoint, bucket, test_credentials)
    diamond(n=3).run(run_name="first")
    second = diamond(n=3).run(run_name="second")
    assert second.status is ExecutionStatus.CACHED
    assert second.get_step("add").output.read() == 15
    assert all(step.is_cached for step in second.steps), [s.name for s in second.steps if not s.is_cached]


def test_a_missing_secret_fails_before_any_step_and_writes_nothing(
    stackyard_repository: Repository, tmp_path: Path, s3_endpoint: str, bucket: str, no_aws_credentials: None, test_credentials: tuple[str, str],
    s3_objects: Any,
) -> None:
    _s3_stack(stackyard_repository, tmp_path, s3_endpoint, bucket, test_credentials, with_secret=False)
    with pytest.raises(SecretReferenceError, match="has no secret 'aws'"):
        diamond(n=2).run(run_name="no-secret")
    assert s3_objects(bucket) == {}
