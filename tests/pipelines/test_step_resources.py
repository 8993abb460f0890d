"""``@step(resources=...)``: what one run of a step needs, checked at definition, readable by orchestrators."""

from __future__ import annotations

from typing import Any

import pytest

from stackyard import pipeline, step
from stackyard.exceptions import PipelineDefinitionError
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack


@step(resources={"GPU": 1, "memory": 2e9})
def train() -> int:
    return 3


@pipeline
def training():
    train()


def test_resources_are_kept_as_numbers_and_default_to_nothing() -> None:
    assert train.resources == {"GPU": 1.0, "memory": 2e9}

    @step
    def plain() -> int:
        return 1

    assert plain.resources == {}


@pytest.mark.parametrize(
    ("resources", "named"),
    [
        ({"GPU": -1}, "resource 'GPU' must be a number of 0 or more, not -1"),
        ({"GPU": "one"}, "resource 'GPU' must be a number of 0 or more, not 'one'"),
        ({"GPU": True}, "resource 'GPU' must be a number of 0 or more, not True"),
        ({"GPU": float("nan")}, "resource 'GPU' must be a number of 0 or more"),
        ({"many GPUs": 1}, "resource name 'many GPUs' must be an identifier"),
        ({1: 1}, "resource name 1 must be an identifier"),
        (["GPU"], "resources must be a dict"),
    ],
)
def test_bad_resources_are_refused_when_the_step_is_defined(resources: Any, named: str) -> None:
    def job() -> int:
        return 1

    with pytest.raises(PipelineDefinitionError, match=named):
        step(resources=resources)(job)


def test_the_deployment_gives_them_to_the_orchestrator_and_the_local_one_ignores_them(stack: Stack) -> None:
    seen: dict[str, Any] = {}
    orchestrator = stack.orchestrator
    original = orchestrator.run_pipeline

    def spy(deployment: Any, stack: Stack, runtime_configuration: Any) -> None:
        seen.update(deployment.step_resources("train"))
        original(deployment, stack, runtime_configuration)

    object.__setattr__(orchestrator, "run_pipeline", spy)
    try:
        run = training().run(stack=stack)
    finally:
        object.__delattr__(orchestrator, "run_pipeline")
    assert seen == {"GPU": 1.0, "memory": 2e9}
    assert run.status is ExecutionStatus.COMPLETED and run.get_step("train").output.read() == 3
