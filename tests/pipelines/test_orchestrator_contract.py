"""The orchestrator contract: any flavor that calls run_step in dependency order runs pipelines."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, ClassVar

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import StackyardError
from stackyard.orchestrators import BaseOrchestrator
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack


class ThreadedOrchestrator(BaseOrchestrator):
    """A minimal third-party orchestrator: independent steps in threads."""

    FLAVOR: ClassVar[str] = "threaded"

    def run_pipeline(self, deployment: Any, stack: Stack, runtime_configuration: Mapping[str, Any]) -> None:
        waiting, done, running = list(deployment.steps), set(), {}
        with ThreadPoolExecutor(max_workers=4) as pool:
            while waiting or running:
                for name in [n for n in waiting if deployment.upstream_steps(n) <= done]:
                    waiting.remove(name)
                    running[pool.submit(deployment.run_step, name)] = name
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()
                    done.add(running.pop(future))


class LazyOrchestrator(BaseOrchestrator):
    """A broken orchestrator that forgets the last step."""

    FLAVOR: ClassVar[str] = "lazy"

    def run_pipeline(self, deployment: Any, stack: Stack, runtime_configuration: Mapping[str, Any]) -> None:
        for name in deployment.steps[:-1]:
            deployment.run_step(name)


@step
def source(n: int) -> int:
    return n


@step
def gather(a: int, b: int, c: int, d: int) -> int:
    return a + b + c + d


@pipeline
def wide():
    gather(source(n=1), source(n=2), source(n=3), source(n=4))


def with_orchestrator(stack: Stack, orchestrator: BaseOrchestrator) -> Stack:
    return Stack(
        "custom", orchestrator=orchestrator, artifact_store=stack.artifact_store, metadata_store=stack.metadata_store
    )


def test_a_threaded_orchestrator_runs_parallel_branches(stack: Stack) -> None:
    custom = with_orchestrator(stack, ThreadedOrchestrator(name="threads"))
    run = wide().run(stack=custom)
    assert run.status is ExecutionStatus.COMPLETED
    assert run.get_step("gather").output.read() == 10
    assert len(run.steps) == 5
    assert wide().run(stack=custom).status is ExecutionStatus.CACHED


def test_an_orchestrator_that_skips_a_step_fails_the_run(stack: Stack) -> None:
    with pytest.raises(StackyardError, match="without running step 'gather'; this is a bug in the orchestrator"):
        wide().run(stack=with_orchestrator(stack, LazyOrchestrator(name="lazy")), run_name="skipped")
    assert Repository().get_run("skipped").status is ExecutionStatus.FAILED


class HastyOrchestrator(BaseOrchestrator):
    """A broken orchestrator that runs the last step first."""

    FLAVOR: ClassVar[str] = "hasty"

    def run_pipeline(self, deployment: Any, stack: Stack, runtime_configuration: Mapping[str, Any]) -> None:
        for name in reversed(deployment.steps):
            deployment.run_step(name)


def test_an_orchestrator_that_ignores_dependencies_gets_a_clear_error(stack: Stack) -> None:
    with pytest.raises(StackyardError, match="started a step before its upstream steps"):
        wide().run(stack=with_orchestrator(stack, HastyOrchestrator(name="hasty")))
