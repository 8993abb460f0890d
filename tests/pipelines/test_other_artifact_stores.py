"""Artifacts go through the artifact store's file API, so other flavors work: here fsspec's memory://."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from stackyard import pipeline, step
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack


@step
def numbers() -> list:
    return [1, 2, 3]


@step
def folder() -> Path:
    path = Path(tempfile.mkdtemp()) / "reports"
    path.mkdir()
    (path / "summary.txt").write_text("fine")
    return path


@step
def combine(values: list, reports: Path) -> dict:
    return {"sum": sum(values), "summary": (reports / "summary.txt").read_text()}


@pipeline
def remote_pipeline():
    combine(numbers(), folder())


def test_a_pipeline_on_an_fsspec_memory_store(stack: Stack) -> None:
    pytest.importorskip("fsspec")
    artifact_stores = pytest.importorskip("stackyard_example.artifact_store")
    memory = artifact_stores.FsspecArtifactStore(name="memory", path="memory://pipelines-test/artifacts")
    remote = Stack(
        "remote",
        orchestrator=stack.orchestrator,
        artifact_store=memory,
        metadata_store=stack.metadata_store,
    )
    run = remote_pipeline().run(stack=remote)
    output = run.get_step("combine").output
    assert output.uri.startswith("memory://pipelines-test/artifacts/remote_pipeline/combine/output/")
    assert output.read() == {"sum": 6, "summary": "fine"}
    reports = run.get_step("folder").output
    assert reports.size == 4 and reports.content_hash
    copied = reports.read()  # a remote folder comes back as a local copy
    assert copied.name == "reports" and (copied / "summary.txt").read_text() == "fine"
    again = remote_pipeline().run(stack=remote)
    assert again.status is ExecutionStatus.CACHED


def test_runs_are_read_from_the_artifact_store_they_wrote_to(stack: Stack, repo: object) -> None:
    pytest.importorskip("fsspec")
    artifact_stores = pytest.importorskip("stackyard_example.artifact_store")
    memory = artifact_stores.FsspecArtifactStore(name="memory", path="memory://pipelines-test/elsewhere")
    remote = Stack("remote", orchestrator=stack.orchestrator, artifact_store=memory, metadata_store=stack.metadata_store)
    remote_pipeline().run(stack=remote, run_name="remote-run")
    # read back through the default stack, whose artifact store is a local folder
    assert repo.get_run("remote-run").get_step("combine").output.read() == {"sum": 6, "summary": "fine"}
