"""The local orchestrator runs independent steps at the same time in worker processes."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from stackyard.testing.assertions import run_fails

from stackyard import Repository, pipeline, step
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard_local import LocalOrchestrator


@step
def meet(folder: str, me: str, other: str) -> int:
    """Wait until step ``other`` is running too: only possible if both run at the same time."""
    Path(folder, me).touch()
    deadline = time.monotonic() + 60
    while not Path(folder, other).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"step {me} never met step {other}: they did not run concurrently")
        time.sleep(0.01)
    return os.getpid()


@step
def join(a: int, b: int) -> list:
    return sorted({a, b})


@step
def explode(pid: int) -> int:
    raise RuntimeError("branch failed")


@pipeline
def rendezvous(folder: str):
    left = meet(folder=folder, me="left", other="right")
    right = meet(folder=folder, me="right", other="left")
    join(left, right)


def parallel_stack(stack: Stack, **config: object) -> Stack:
    return Stack(
        "parallel",
        orchestrator=LocalOrchestrator(name="parallel", max_workers=2, **config),
        artifact_store=stack.artifact_store,
        metadata_store=stack.metadata_store,
    )


def test_independent_steps_run_concurrently_in_worker_processes(stack: Stack, tmp_path: Path) -> None:
    run = rendezvous(folder=str(tmp_path)).run(stack=parallel_stack(stack))
    assert run.status is ExecutionStatus.COMPLETED
    pids = run.get_step("join").output.read()
    assert len(pids) == 2 and os.getpid() not in pids
    assert [s.status.value for s in run.steps] == ["completed"] * 3


def test_max_workers_is_also_a_runtime_option(tmp_path: Path) -> None:
    run = rendezvous(folder=str(tmp_path)).run(max_workers=2)
    assert run.status is ExecutionStatus.COMPLETED


def test_a_failing_branch_fails_the_run_and_the_other_branch_finishes(stack: Stack, tmp_path: Path) -> None:
    @pipeline
    def half_broken(folder: str):
        left = meet(folder=folder, me="left", other="right")
        right = meet(folder=folder, me="right", other="left")
        explode(left)
        join(left, right)

    with run_fails(RuntimeError, match="branch failed"):
        half_broken(folder=str(tmp_path)).run(stack=parallel_stack(stack), run_name="half")
    run = Repository().get_run("half")
    assert run.status is ExecutionStatus.FAILED
    assert run.get_step("explode").status is ExecutionStatus.FAILED
    assert run.get_step("meet").status is ExecutionStatus.COMPLETED
    assert run.get_step("meet_2").status is ExecutionStatus.COMPLETED


def test_parallel_runs_use_the_cache_too(stack: Stack, tmp_path: Path) -> None:
    rendezvous(folder=str(tmp_path)).run(stack=parallel_stack(stack))
    run = rendezvous(folder=str(tmp_path)).run(stack=parallel_stack(stack))
    assert run.status is ExecutionStatus.CACHED


def test_spawned_workers_import_the_steps(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "spawn_pipeline.py").write_text(
        textwrap.dedent(
            """
            import os
            from stackyard import pipeline, step

            @step
            def pid(n: int) -> int:
                return os.getpid() * 0 + n

            @step
            def add(a: int, b: int) -> int:
                return a + b

            @pipeline
            def spawned():
                add(pid(n=1), pid(n=2))
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import spawn_pipeline

    run = spawn_pipeline.spawned().run(stack=parallel_stack(stack, start_method="spawn"))
    assert run.get_step("add").output.read() == 3


def test_the_orchestrator_refuses_a_negative_worker_count() -> None:
    with pytest.raises(ValueError, match="max_workers"):
        LocalOrchestrator(name="bad", max_workers=-1)


@step
def interrupt_the_parent(x: int = 0) -> int:
    import signal

    os.kill(os.getppid(), signal.SIGINT)  # what Ctrl-C does to the process running the pipeline
    time.sleep(60)
    return x


def test_ctrl_c_during_parallel_steps_fails_the_run_and_stops_the_workers(stack: Stack) -> None:
    @pipeline
    def interrupted():
        interrupt_the_parent(x=1)
        interrupt_the_parent(x=2)

    with pytest.raises(KeyboardInterrupt):
        interrupted().run(stack=parallel_stack(stack), run_name="ctrl-c")
    run = Repository().get_run("ctrl-c")
    assert run.status is ExecutionStatus.FAILED
    assert run.error == "Interrupted (KeyboardInterrupt)."
    assert {s.status for s in run.steps} == {ExecutionStatus.FAILED}


def test_spawn_needs_steps_defined_at_module_level(stack: Stack) -> None:
    import pickle

    @step
    def local_step() -> int:
        return 1

    @pipeline
    def local_pipeline():
        local_step()

    with run_fails(pickle.PicklingError, match="define it at module level, or run with start_method 'fork'"):
        local_pipeline().run(stack=parallel_stack(stack, start_method="spawn"))


class CodedError(Exception):
    """Pickles (as its args), but cannot be unpickled: ``__init__`` takes two arguments."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")


@step
def fail_with_code(pid: int) -> int:
    raise CodedError(42, "the answer is not allowed")


@step
def fail_plainly(pid: int) -> int:
    raise KeyError("missing")


def test_a_step_exception_that_cannot_be_unpickled_fails_only_its_step(stack: Stack, tmp_path: Path) -> None:
    from stackyard.exceptions import RemoteStepError

    @pipeline
    def coded(folder: str):
        left = meet(folder=folder, me="left", other="right")
        right = meet(folder=folder, me="right", other="left")
        fail_with_code(left)
        join(left, right)

    with run_fails(RemoteStepError) as raised:
        coded(folder=str(tmp_path)).run(stack=parallel_stack(stack), run_name="coded")
    assert raised.value.step_name == "fail_with_code" and raised.value.run.name == "coded"
    error = raised.value.__cause__
    assert error.step_name == "fail_with_code"
    assert error.type_name == f"{__name__}.CodedError"
    assert error.message == "42: the answer is not allowed"
    assert "raise CodedError(42" in error.traceback_text
    run = Repository().get_run("coded")
    assert run.status is ExecutionStatus.FAILED
    assert run.error == f"Step 'fail_with_code' failed: {__name__}.CodedError: 42: the answer is not allowed"
    failed = run.get_step("fail_with_code")
    assert failed.status is ExecutionStatus.FAILED
    assert failed.error is not None
    assert "raise CodedError(42" in failed.error and "RemoteStepError" not in failed.error
    assert run.get_step("meet").status is ExecutionStatus.COMPLETED
    assert run.get_step("meet_2").status is ExecutionStatus.COMPLETED


def test_a_step_exception_that_round_trips_is_re_raised_as_itself(stack: Stack) -> None:
    @pipeline
    def plain():
        fail_plainly(pid=1)

    with run_fails(KeyError, match="missing") as raised:
        plain().run(stack=parallel_stack(stack), run_name="plain")
    assert "raise KeyError" in str(raised.value.__cause__.__cause__)  # the worker's traceback
    run = Repository().get_run("plain")
    assert run.error == "Step 'fail_plainly' failed: KeyError: 'missing'"
