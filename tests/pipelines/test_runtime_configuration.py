"""Running on a stack: lifecycle hooks on every component, runtime options reaching them all."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from stackyard import pipeline, step
from stackyard.exceptions import RunExistsError, StackValidationError
from stackyard.pipelines import UnknownRuntimeOptionWarning
from stackyard.stack.stack import Stack

from .conftest import CALLS


@step
def one() -> int:
    return 1


@step
def plus_one(x: int) -> int:
    return x + 1


@pipeline
def two_steps():
    plus_one(one())


def test_every_lifecycle_hook_is_called_in_order(recording_stack: Stack) -> None:
    run = two_steps().run(stack=recording_stack, another_param="luna")
    names = [name for name, _ in CALLS]
    assert names == [
        "prepare_pipeline_deployment",
        "prepare_pipeline_run",
        "prepare_step_run",
        "cleanup_step_run",
        "prepare_step_run",
        "cleanup_step_run",
        "cleanup_pipeline_run",
    ]
    pipeline_name, stack_name, configuration = CALLS[0][1]
    assert (pipeline_name, stack_name) == ("two_steps", "recording")
    assert configuration == {"another_param": "luna", "run_name": run.name}


def test_runtime_options_reach_a_custom_component_and_are_recorded(recording_stack: Stack) -> None:
    with pytest.warns(UnknownRuntimeOptionWarning, match="'runtime_param_1' is not declared"):
        run = two_steps().run(stack=recording_stack, run_name="luna-run", runtime_param_1=3, another_param="luna")
    assert CALLS[0][1][2] == {"runtime_param_1": 3, "another_param": "luna", "run_name": "luna-run"}
    assert run.runtime_configuration == {"runtime_param_1": 3, "another_param": "luna", "run_name": "luna-run"}


def test_declared_options_do_not_warn(recording_stack: Stack) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        two_steps().run(stack=recording_stack, another_param="x", max_workers=1)


def test_an_undeclared_option_is_a_warning_not_an_error(stack: Stack) -> None:
    with pytest.warns(UnknownRuntimeOptionWarning) as caught:
        run = two_steps().run(stack=stack, runtime_param_1=3)
    assert run.status == "completed"
    assert caught[0].filename == __file__  # points at the caller's line


def test_the_run_records_the_stack_it_ran_on(recording_stack: Stack) -> None:
    run = two_steps().run(stack=recording_stack)
    recorded = run.stack
    assert recorded["name"] == "recording"
    assert recorded["components"]["alerter"]["flavor"] == "recording"
    assert recorded["components"]["orchestrator"]["flavor"] == "local"
    assert recorded["components"]["metadata_store"]["config"]["uri"].endswith("metadata.db")


def test_an_invalid_stack_is_refused_before_anything_runs(stack: Stack) -> None:
    class RemoteOnly(type(stack.alerter) if stack.alerter else object):  # pragma: no cover - not used
        pass

    from .conftest import RecordingAlerter

    class Picky(RecordingAlerter):
        FLAVOR = "picky"

        def validate_stack(self, stack: Any) -> list[str]:
            return ["needs a remote artifact store"]

    bad = Stack(
        "bad",
        orchestrator=stack.orchestrator,
        artifact_store=stack.artifact_store,
        metadata_store=stack.metadata_store,
        alerter=Picky(name="picky"),
    )
    CALLS.clear()
    with pytest.raises(StackValidationError, match="needs a remote artifact store"):
        two_steps().run(stack=bad)
    assert CALLS == []


def test_a_run_name_is_unique(stack: Stack) -> None:
    two_steps().run(run_name="only-once")
    with pytest.raises(RunExistsError, match="'only-once' already exists"):
        two_steps().run(run_name="only-once")


def test_the_active_stack_is_the_default(repo: Any) -> None:
    run = two_steps().run()
    assert run.stack["name"] == repo.active_stack_name
