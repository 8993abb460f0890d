"""Failure: the failing step and the run are marked failed, finished work is kept, cleanups run."""

from __future__ import annotations

import pytest

from stackyard.testing.assertions import run_fails

from stackyard import Repository, pipeline, step
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack

from .conftest import CALLS


@step
def fine() -> int:
    return 41


@step
def broken(x: int) -> int:
    raise ValueError(f"cannot use {x}")


@step
def after(x: int) -> int:
    return x


@pipeline
def failing():
    after(broken(fine()))


def test_a_raising_step_fails_the_run_and_is_re_raised() -> None:
    with run_fails(ValueError, match="cannot use 41"):
        failing().run(run_name="doomed")
    run = Repository().get_run("doomed")
    assert run.status is ExecutionStatus.FAILED
    assert run.error == "Step 'broken' failed: ValueError: cannot use 41"
    step_run = run.get_step("broken")
    assert step_run.status is ExecutionStatus.FAILED
    assert step_run.error.endswith("ValueError: cannot use 41")
    assert "raise ValueError" in step_run.error  # the traceback of the step's own code
    assert "deployment.py" not in step_run.error
    assert run.end_time is not None


def test_finished_steps_keep_their_outputs_and_later_steps_do_not_run() -> None:
    with run_fails(ValueError):
        failing().run(run_name="doomed")
    run = Repository().get_run("doomed")
    assert run.get_step("fine").status is ExecutionStatus.COMPLETED
    assert run.get_step("fine").output.read() == 41
    assert [s.name for s in run.steps] == ["fine", "broken"]


def test_cleanups_run_after_a_failure(recording_stack: Stack) -> None:
    with run_fails(ValueError):
        failing().run(stack=recording_stack)
    names = [name for name, _ in CALLS]
    assert names[-3:] == ["prepare_step_run", "cleanup_step_run", "cleanup_pipeline_run"]


def test_a_failed_step_is_not_served_from_cache() -> None:
    with run_fails(ValueError):
        failing().run()
    with run_fails(ValueError):
        failing().run(run_name="again")
    run = Repository().get_run("again")
    assert run.get_step("fine").status is ExecutionStatus.CACHED
    assert run.get_step("broken").status is ExecutionStatus.FAILED


def test_ctrl_c_marks_the_run_failed() -> None:
    @step
    def interrupted() -> int:
        raise KeyboardInterrupt

    @pipeline
    def p():
        interrupted()

    with pytest.raises(KeyboardInterrupt):
        p().run(run_name="stopped")
    run = Repository().get_run("stopped")
    assert run.status is ExecutionStatus.FAILED
    assert run.error == "Interrupted (KeyboardInterrupt)."
    assert run.get_step("interrupted").status is ExecutionStatus.FAILED


def test_a_failing_cleanup_fails_an_otherwise_good_run(recording_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(info: object, outcome: object) -> None:
        raise RuntimeError("cleanup broke")

    monkeypatch.setattr(recording_stack.alerter, "cleanup_pipeline_run", explode)

    @pipeline
    def good():
        fine()

    with run_fails(RuntimeError, match="cleanup broke"):
        good().run(stack=recording_stack, run_name="bad-cleanup")
    run = Repository().get_run("bad-cleanup")
    assert run.status is ExecutionStatus.FAILED
    assert "cleanup_pipeline_run failed" in run.error
