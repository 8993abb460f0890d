"""Reading runs back through Repository: pipelines, runs, steps, artifacts."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import PipelineNotFoundError, RunNotFoundError, StepNotFoundError
from stackyard.pipelines import ExecutionStatus, UnknownRuntimeOptionWarning
from stackyard.stack.stack import Stack


@step
def make_numbers(count: int = 3) -> list:
    return list(range(count))


@step
def total(numbers: list) -> int:
    return sum(numbers)


@pipeline
def sum_pipeline(count: int = 3):
    total(make_numbers(count=count))


@pipeline
def other():
    make_numbers(count=1)


def test_pipelines_and_their_runs_oldest_first(repo: Repository) -> None:
    first = sum_pipeline(count=1).run(run_name="first")
    sum_pipeline(count=2).run(run_name="second")
    other().run(run_name="third")
    assert [p.name for p in repo.get_pipelines()] == ["sum_pipeline", "other"]
    runs = repo.get_pipeline("sum_pipeline").runs
    assert [r.name for r in runs] == ["first", "second"]
    assert runs[-1].get_step("total").output.read() == 1
    assert [r.name for r in repo.get_runs()] == ["first", "second", "third"]
    assert repo.get_run(first.id).name == "first"
    assert repo.get_pipeline("sum_pipeline").get_run("second").parameters == {"count": 2}


def test_a_run_view(repo: Repository) -> None:
    with pytest.warns(UnknownRuntimeOptionWarning):
        sum_pipeline().run(run_name="viewed", another_param="luna")
    run = repo.get_run("viewed")
    assert run.pipeline_name == "sum_pipeline"
    assert run.status is ExecutionStatus.COMPLETED and run.status == "completed"
    assert isinstance(run.start_time, datetime.datetime) and run.end_time >= run.start_time
    assert run.duration is not None and run.duration >= 0
    assert run.runtime_configuration == {"another_param": "luna", "run_name": "viewed"}
    assert [s.name for s in run.steps] == ["make_numbers", "total"]
    assert run.error is None
    data = run.to_dict()
    assert data["steps"][1]["inputs"]["numbers"]["data_type"] == "builtins.list"


def test_a_step_view_and_its_artifacts(repo: Repository) -> None:
    sum_pipeline(count=4).run(run_name="steps")
    run = repo.get_run("steps")
    producer, consumer = run.get_step("make_numbers"), run.get_step("total")
    assert producer.status is ExecutionStatus.COMPLETED and not producer.is_cached
    assert producer.parameters == {"count": 4}
    assert producer.inputs == {}
    assert producer.duration is not None
    assert list(consumer.inputs) == ["numbers"]
    artifact = consumer.inputs["numbers"]
    assert artifact.uri == producer.output.uri
    assert artifact.data_type == "builtins.list"
    assert artifact.read() == [0, 1, 2, 3]
    assert artifact.producer_step_id == producer.id
    assert consumer.output.data_type == "builtins.int"
    assert consumer.outputs["output"].read() == 6


def test_things_that_do_not_exist(repo: Repository) -> None:
    sum_pipeline().run(run_name="exists")
    with pytest.raises(PipelineNotFoundError, match="No pipeline named 'nope'.*sum_pipeline"):
        repo.get_pipeline("nope")
    with pytest.raises(RunNotFoundError, match="No pipeline run named 'nope'"):
        repo.get_run("nope")
    with pytest.raises(StepNotFoundError, match="no step named 'nope'; its steps are: make_numbers, total"):
        repo.get_run("exists").get_step("nope")
    with pytest.raises(KeyError):  # not-found errors are also KeyErrors
        repo.get_run("nope")


def test_reading_from_another_stack(repo: Repository, stack: Stack, tmp_path: object) -> None:
    from stackyard_local import SQLiteMetadataStore

    elsewhere = Stack(
        "elsewhere",
        orchestrator=stack.orchestrator,
        artifact_store=stack.artifact_store,
        metadata_store=SQLiteMetadataStore(name="other", uri=f"{tmp_path}/other.db"),
    )
    sum_pipeline().run(stack=elsewhere, run_name="on-other-stack")
    assert repo.get_pipelines() == []
    assert repo.get_run("on-other-stack", stack=elsewhere).status is ExecutionStatus.COMPLETED
    assert repo.get_pipeline("sum_pipeline", stack=elsewhere).runs[-1].get_step("total").output.read() == 3


def test_the_run_returned_by_run_is_the_recorded_one(repo: Repository) -> None:
    run = sum_pipeline().run()
    assert run.id == repo.get_pipeline("sum_pipeline").runs[-1].id
    assert run.get_step("total").output.read() == 3


VAULT_PLUGIN = """
from typing import ClassVar

from stackyard import hookimpl
from stackyard_local import LocalArtifactStore


class VaultArtifactStore(LocalArtifactStore):
    FLAVOR: ClassVar[str] = "vault"


@hookimpl
def stackyard_artifact_store_flavors():
    return [VaultArtifactStore]
"""


def test_runs_read_back_without_the_artifact_stores_flavor(
    repo: Repository, stack: Stack, make_plugin: Any, tmp_path: Path
) -> None:
    import shutil

    from click.testing import CliRunner

    from stackyard.exceptions import FlavorNotFoundError
    from stackyard.plugins import reset_registry
    from stackyard_cli.commands.pipeline import pipeline as pipeline_command

    site = make_plugin("stackyard-vault", "stackyard_vault", VAULT_PLUGIN, entry_point="vault")
    import stackyard_vault

    vault = stackyard_vault.VaultArtifactStore(name="vault", path=str(tmp_path / "vault"))
    repo.register_stack(
        Stack("vaulted", orchestrator=stack.orchestrator, artifact_store=vault, metadata_store=stack.metadata_store)
    )
    repo.activate_stack("vaulted")
    sum_pipeline(count=4).run(run_name="kept")

    shutil.rmtree(site / "stackyard_vault-1.0.dist-info")  # uninstall the artifact store's flavor
    reset_registry()
    repo = Repository()
    with pytest.raises(FlavorNotFoundError):
        repo.active_stack  # noqa: B018 - the whole stack no longer loads
    assert [p.name for p in repo.get_pipelines()] == ["sum_pipeline"]
    assert [r.name for r in repo.get_pipeline("sum_pipeline").runs] == ["kept"]
    assert [r.name for r in repo.get_runs()] == ["kept"]
    run = repo.get_run("kept")
    assert run.status is ExecutionStatus.COMPLETED
    output = run.get_step("total").output
    assert output.uri.startswith(str(tmp_path / "vault"))
    with pytest.raises(FlavorNotFoundError, match="vault"):
        output.read()  # only reading an artifact needs the artifact store
    with pytest.raises(RunNotFoundError, match="metadata store of stack 'vaulted'"):
        repo.get_run("nope")

    cli = CliRunner()
    listed = cli.invoke(pipeline_command, ["list"])
    assert listed.exit_code == 0, listed.output
    assert "sum_pipeline" in listed.output
    described = cli.invoke(pipeline_command, ["run-describe", "kept"])
    assert described.exit_code == 0, described.output
