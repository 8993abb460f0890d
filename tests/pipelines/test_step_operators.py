"""``@step(step_operator=...)``: a step handed to the stack's step operator, run through core's entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import StackValidationError
from stackyard.stack.stack import Stack
from stackyard.step_operators import BaseStepOperator
from stackyard.testing import StepOperatorConformance

LAUNCHED: list[tuple[str, str, str]] = []


class SubprocessStepOperator(BaseStepOperator):
    """Runs each step it is given in a fresh Python subprocess (as a remote operator would, elsewhere)."""

    FLAVOR: ClassVar[str] = "test-subprocess"

    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        LAUNCHED.append((pipeline_name, run_name, step_name))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        subprocess.run(list(entrypoint), env=env, check=False)


@step(step_operator="remote")
def heavy(n: int) -> int:
    print(f"heavy step in pid {os.getpid()}")
    return n * n


@step
def numbers() -> int:
    return 7


@step
def plus_one(value: int) -> int:
    return value + 1


@pipeline
def offloaded():
    plus_one(heavy(numbers()))


def operator_stack(stack: Stack, name: str = "remote") -> Stack:
    return Stack("operated", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, step_operator=SubprocessStepOperator(name=name))


def test_a_marked_step_runs_through_the_step_operator_in_a_subprocess(stack: Stack) -> None:
    LAUNCHED.clear()
    run = offloaded().run(stack=operator_stack(stack), run_name="offloaded")
    assert LAUNCHED == [("offloaded", "offloaded", "heavy")]  # only the marked step
    again = Repository().get_run("offloaded")
    assert again.get_step("heavy").output.read() == 49
    assert again.get_step("plus_one").output.read() == 50
    logs = again.get_step("heavy").logs
    assert logs is not None and logs.startswith("heavy step in pid ")
    assert logs.strip() != f"heavy step in pid {os.getpid()}"
    assert run.status.value == "completed"


def test_an_operated_steps_outputs_carry_the_cache_key_recorded_for_it(stack: Stack) -> None:
    from stackyard.pipelines.artifacts import identity

    run = offloaded().run(stack=operator_stack(stack), run_name="keyed")
    heavy_step = run.get_step("heavy")
    assert heavy_step.cache_key
    recorded = stack.metadata_store.get_artifacts(heavy_step.id)  # type: ignore[union-attr]
    output = next(a for a in recorded if a.get("direction") == "output")
    assert identity(output) == f"provenance:{heavy_step.cache_key}:output"


def test_a_stack_without_the_named_step_operator_is_refused_before_the_run(stack: Stack) -> None:
    with pytest.raises(StackValidationError, match=(
        "step 'heavy' runs on step operator 'remote', but it has no step operator; "
        "add it with: stackyard stack update default --step-operator remote"
    )):
        offloaded().run(stack=stack, run_name="refused")
    with pytest.raises(StackValidationError, match="but its step operator is 'other'"):
        offloaded().run(stack=operator_stack(stack, name="other"), run_name="refused")
    assert Repository().get_pipelines() == []  # nothing recorded


class TestSubprocessStepOperator(StepOperatorConformance):
    @pytest.fixture
    def step_operator(self) -> SubprocessStepOperator:
        return SubprocessStepOperator(name="sub")

    # a flavor defined in this module is not installed by a package: the two checks of installation do not apply
    test_flavor_is_installed_through_its_entry_point = None  # type: ignore[assignment]
    test_registers_and_loads_back = None  # type: ignore[assignment]
