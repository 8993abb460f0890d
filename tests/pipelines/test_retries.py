"""``@step(retries=..., retry_delay=...)`` and ``@step(timeout=...)``, as every orchestrator runs them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from stackyard import Repository, pipeline, step
from stackyard.exceptions import PipelineDefinitionError, PipelineRunFailedError, StepTimeoutError
from stackyard.pipelines.status import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard_cli.commands.pipeline import pipeline as pipeline_command
from stackyard_local import LocalOrchestrator

FAILURES: list[str] = []


@step(retries=2)
def flaky(marker: str) -> str:
    if not Path(marker).exists():
        Path(marker).touch()
        raise RuntimeError("flaky network")
    return "ok"


@pipeline
def flaky_pipeline(marker: str):
    flaky(marker=marker)


@step(retries=1, on_failure=lambda exc: FAILURES.append(repr(exc)))
def always_broken() -> int:
    raise ValueError("broken for good")


@step(timeout=0.5)
def slow() -> int:
    time.sleep(30)
    return 1


@pipeline
def slow_pipeline():
    slow()


def workers(stack: Stack) -> Stack:
    return Stack("workers", orchestrator=LocalOrchestrator(name="w", max_workers=2),
                 artifact_store=stack.artifact_store, metadata_store=stack.metadata_store)


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "max_workers=2"])
def test_a_step_that_fails_once_is_retried_and_shows_two_attempts(stack: Stack, tmp_path: Path, parallel: bool) -> None:
    run = flaky_pipeline(marker=str(tmp_path / "failed-once")).run(
        stack=workers(stack) if parallel else stack, run_name="retried"
    )
    assert run.status is ExecutionStatus.COMPLETED
    step_view = Repository().get_run("retried").get_step("flaky")
    assert step_view.output.read() == "ok"
    assert step_view.attempts == 2
    assert step_view.metadata["failed_attempts"] == ["1: RuntimeError: flaky network"]
    assert step_view.to_dict()["attempts"] == 2
    result = CliRunner().invoke(pipeline_command, ["run-describe", "retried"], catch_exceptions=False)
    assert "Retried steps:\n  flaky: 2 attempts" in result.output


def test_a_step_failing_every_attempt_fails_once_all_are_used(stack: Stack) -> None:
    FAILURES.clear()

    @pipeline
    def p():
        always_broken()

    with pytest.raises(PipelineRunFailedError, match="broken for good"):
        p().run(stack=stack, run_name="gave-up")
    step_view = Repository().get_run("gave-up").get_step("always_broken")
    assert step_view.status is ExecutionStatus.FAILED
    assert step_view.attempts == 2
    assert FAILURES == ["ValueError('broken for good')"]  # on_failure once, after the last attempt


@pytest.mark.parametrize("parallel", [False, True], ids=["sequential", "max_workers=2"])
def test_a_step_over_its_timeout_fails_with_a_clear_error(stack: Stack, parallel: bool) -> None:
    with pytest.raises(PipelineRunFailedError) as caught:
        slow_pipeline().run(stack=workers(stack) if parallel else stack, run_name="too-slow")
    assert isinstance(caught.value.__cause__, StepTimeoutError)
    message = "Step 'slow' ran longer than its timeout of 0.5s and was stopped; raise @step(timeout=...) if it needs more time."
    assert str(caught.value.__cause__) == message
    assert Repository().get_run("too-slow").get_step("slow").status is ExecutionStatus.FAILED


def test_a_step_run_outside_the_main_thread_still_times_out(stack: Stack) -> None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            slow_pipeline().run(stack=stack, run_name="slow-in-thread")
        except BaseException as exc:  # noqa: BLE001
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    [error] = caught
    assert isinstance(error.__cause__, StepTimeoutError)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries must be a whole number of 0 or more, not -1"),
        ({"retries": 1.5}, "retries must be a whole number"),
        ({"retry_delay": -2}, "retry_delay must be a number of seconds, 0 or more, not -2"),
        ({"timeout": 0}, "timeout must be a number of seconds, more than 0, not 0"),
    ],
)
def test_bad_retry_and_timeout_settings_are_refused_at_definition(options: dict, message: str) -> None:
    with pytest.raises(PipelineDefinitionError, match=message):
        step(**options)(flaky.entrypoint)
