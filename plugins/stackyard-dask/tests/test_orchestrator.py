"""The ``dask`` orchestrator as a user sees it: parallel steps on workers, shipped code, logs, retries,
timeouts, resources, a cluster per run, and clear errors for stacks and clusters that cannot work."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from stackyard import pipeline, step
from stackyard.exceptions import ComponentConfigError, PipelineRunFailedError, StepTimeoutError
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard_dask.cluster import DaskClusterError
from stackyard_dask.orchestrator import DaskOrchestrator


def run_name() -> str:
    return f"dask-{uuid.uuid4().hex[:12]}"


def with_orchestrator(stack: Stack, orchestrator: DaskOrchestrator) -> Stack:
    return Stack("dask", orchestrator=orchestrator, artifact_store=stack.artifact_store, metadata_store=stack.metadata_store)


# -- independent steps run at the same time, on different workers -----------------------------------


@step(enable_cache=False)
def meet(me: str, other: str, folder: str) -> int:
    """Say 'here', then wait for the other step to say so too: only steps running at once both finish."""
    Path(folder, me).write_text("here")
    deadline = time.monotonic() + 30
    while not Path(folder, other).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"step {me} never met step {other}: they did not run at the same time")
        time.sleep(0.02)
    return os.getpid()


@step(enable_cache=False)
def pair(a: int, b: int) -> list:
    return [a, b]


@pipeline
def rendezvous(folder: str):
    pair(meet("left", "right", folder), meet("right", "left", folder))


def test_independent_steps_run_at_the_same_time_on_different_workers(dask_stack: Stack, tmp_path: Path) -> None:
    run = rendezvous(folder=str(tmp_path)).run(stack=dask_stack, run_name=run_name())
    assert run.status is ExecutionStatus.COMPLETED
    left, right = run.get_step("pair").output.read()
    assert left != right, "both steps ran in the same worker process"
    assert os.getpid() not in (left, right), "a step ran in the orchestrating process"


# -- a cluster started for the run and stopped afterwards -------------------------------------------


@step(enable_cache=False)
def where() -> int:
    return os.getpid()


@pipeline
def two_pids():
    pair(where(), where())


def test_without_address_a_local_cluster_runs_the_steps_and_is_stopped_after(dask_stack: Stack) -> None:
    import psutil

    stack = with_orchestrator(dask_stack, DaskOrchestrator(name="per-run", n_workers=2))
    run = two_pids().run(stack=stack, run_name=run_name())
    pids = run.get_step("pair").output.read()
    assert os.getpid() not in pids
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(psutil.pid_exists(p) for p in pids), "the run's LocalCluster workers are still running"


def test_a_local_cluster_of_threads_runs_the_steps_in_this_process(dask_stack: Stack) -> None:
    """``processes=False``: workers are threads of the orchestrating process, on Dask's in-process transport."""
    stack = with_orchestrator(dask_stack, DaskOrchestrator(name="threads", n_workers=1, processes=False))
    run = two_pids().run(stack=stack, run_name=run_name())
    assert run.status.value == "completed"
    assert run.get_step("pair").output.read() == [os.getpid(), os.getpid()]


# -- code the workers cannot import by name -----------------------------------------------------------

USER_MODULE = '''
from stackyard import pipeline, step

OFFSET = 100


class Reading:
    def __init__(self, value):
        self.value = value


@step
def measure(n: int) -> int:
    return n + OFFSET


@step
def report(value: int) -> str:
    return f"reading {Reading(value).value}"


@pipeline
def survey(n: int = 1):
    report(measure(n))
'''


@pytest.fixture
def user_module(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A pipeline module importable in this process only: the workers do not have its folder on sys.path."""
    name = f"user_pipeline_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / f"{name}.py").write_text(USER_MODULE)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)


def test_a_pipeline_module_the_workers_cannot_import_is_shipped_to_them(
    dask_stack: Stack, user_module, dask_client  # type: ignore[no-untyped-def]
) -> None:
    def importable(name: str) -> bool:
        return importlib.util.find_spec(name) is not None

    assert not any(dask_client.run(importable, user_module.__name__).values()), "the workers can import it by name"
    run = user_module.survey(n=5).run(stack=dask_stack, run_name=run_name())
    assert run.get_step("report").output.read() == "reading 105"


def test_without_shipping_code_the_missing_module_is_named(dask_stack: Stack, dask_address: str, user_module) -> None:  # type: ignore[no-untyped-def]
    stack = with_orchestrator(dask_stack, DaskOrchestrator(name="dask", address=dask_address, ship_code=False))
    with pytest.raises(PipelineRunFailedError) as caught:
        user_module.survey(n=5).run(stack=stack, run_name=run_name())
    message = str(caught.value.__cause__)
    assert user_module.__name__ in message and "ship_code" in message


# -- step context on a worker --------------------------------------------------------------------------


@step(enable_cache=False)
def introspect(label: str) -> dict:
    from stackyard import get_step_context

    context = get_step_context()
    return {"step": context.step_name, "run": context.run_name, "label": context.parameters["label"],
            "artifact_store": context.stack.artifact_store.name, "pid": os.getpid()}


@pipeline
def looking():
    introspect(label="here")


def test_a_step_on_a_worker_sees_its_context_and_the_run_stack(dask_stack: Stack) -> None:
    name = run_name()
    seen = looking().run(stack=dask_stack, run_name=name).get_step("introspect").output.read()
    assert seen == {"step": "introspect", "run": name, "label": "here", "artifact_store": "local", "pid": seen["pid"]}
    assert seen["pid"] != os.getpid()


# -- logs, retries, timeouts -------------------------------------------------------------------------


@step(enable_cache=False)
def chatty() -> int:
    print(f"printed on a Dask worker, pid {os.getpid()}")
    logging.getLogger("user.code").warning("logged on a Dask worker")
    return os.getpid()


@pipeline
def talk():
    chatty()


def test_what_a_step_prints_and_logs_on_a_worker_is_stored_with_it(dask_stack: Stack) -> None:
    run = talk().run(stack=dask_stack, run_name=run_name())
    step_view = run.get_step("chatty")
    pid = step_view.output.read()
    assert pid != os.getpid()
    assert f"printed on a Dask worker, pid {pid}" in step_view.logs
    assert "logged on a Dask worker" in step_view.logs


@step(retries=2, enable_cache=False)
def flaky(folder: str) -> str:
    attempts = Path(folder, "attempts")
    count = int(attempts.read_text()) + 1 if attempts.exists() else 1
    attempts.write_text(str(count))
    if count < 3:
        raise ConnectionError(f"attempt {count} lost its connection")
    return f"succeeded at attempt {count}"


@pipeline
def unreliable(folder: str):
    flaky(folder)


def test_a_failing_step_is_retried_on_the_workers(dask_stack: Stack, tmp_path: Path) -> None:
    run = unreliable(folder=str(tmp_path)).run(stack=dask_stack, run_name=run_name())
    view = run.get_step("flaky")
    assert view.output.read() == "succeeded at attempt 3"
    assert [a.split(":")[0] for a in view.metadata["failed_attempts"]] == ["1", "2"]


@step(timeout=0.5, enable_cache=False)
def stuck() -> int:
    time.sleep(5)
    return 1


@pipeline
def hangs():
    stuck()


def test_a_step_running_past_its_timeout_fails_the_run(dask_stack: Stack) -> None:
    from stackyard.repository import Repository

    name = run_name()
    with pytest.raises(PipelineRunFailedError) as caught:
        hangs().run(stack=dask_stack, run_name=name)
    assert isinstance(caught.value.__cause__, StepTimeoutError)
    assert "timeout of 0.5s" in str(caught.value.__cause__)
    run = Repository().get_run(name, stack=dask_stack)
    assert run.status is ExecutionStatus.FAILED
    assert run.get_step("stuck").status is ExecutionStatus.FAILED


# -- resources ---------------------------------------------------------------------------------------


@step(resources={"GPU": 1, "memory": 2e9}, enable_cache=False)
def on_gpu() -> dict:
    """What Dask was told this task needs, read on the worker that runs it."""
    from distributed import get_worker
    from distributed.worker import thread_state

    return dict(get_worker().state.tasks[thread_state.key].resource_restrictions or {})


@pipeline
def gpu_job():
    on_gpu()


@step(resources={"TPU": 4}, enable_cache=False)
def on_tpu() -> int:
    return 1


@pipeline
def tpu_job():
    on_tpu()


def test_step_resources_become_dask_worker_resources(dask_stack: Stack) -> None:
    run = gpu_job().run(stack=dask_stack, run_name=run_name())
    assert run.get_step("on_gpu").output.read() == {"GPU": 1.0, "memory": 2e9}


def test_a_step_asking_for_resources_no_worker_offers_is_refused_by_name(dask_stack: Stack) -> None:
    with pytest.raises(PipelineRunFailedError) as caught:
        tpu_job().run(stack=dask_stack, run_name=run_name())
    message = str(caught.value.__cause__)
    assert "Step 'on_tpu'" in message and "TPU=4" in message and "--resources" in message


# -- stacks and clusters that cannot work --------------------------------------------------------------


def test_a_remote_scheduler_refuses_stores_on_local_disk(dask_stack: Stack) -> None:
    stack = with_orchestrator(dask_stack, DaskOrchestrator(name="far", address="tcp://scheduler.internal:8786"))
    problems = stack.problems()
    assert len(problems) == 2
    assert "artifact store 'local' (local) keeps its data on this machine's disk" in problems[0]
    assert "metadata store 'sqlite' (sqlite) keeps its data on this machine's disk" in problems[1]
    assert all("tcp://scheduler.internal:8786" in p for p in problems)


@pytest.mark.parametrize("address", ["", "tcp://127.0.0.1:8786", "tcp://localhost:8786", "tcp://[::1]:8786"])
def test_a_scheduler_on_this_machine_may_use_local_stores(dask_stack: Stack, address: str) -> None:
    assert with_orchestrator(dask_stack, DaskOrchestrator(name="near", address=address)).problems() == []


def test_an_unreachable_scheduler_fails_the_run_with_one_clear_error(dask_stack: Stack) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack = with_orchestrator(dask_stack, DaskOrchestrator(name="gone", address=f"tcp://127.0.0.1:{port}", connect_timeout=1))
    with pytest.raises(PipelineRunFailedError) as caught:
        talk().run(stack=stack, run_name=run_name())
    cause = caught.value.__cause__
    assert isinstance(cause, DaskClusterError)
    assert f"The Dask scheduler at 'tcp://127.0.0.1:{port}' cannot be reached" in str(cause)


@pytest.mark.parametrize(
    ("config", "named"),
    [({"n_workers": "0"}, "n_workers: use 1 or more"), ({"threads_per_worker": "many"}, "threads_per_worker: expected an integer")],
)
def test_bad_parameters_are_named(config: dict, named: str) -> None:
    with pytest.raises(ComponentConfigError, match=named):
        DaskOrchestrator.from_config("d", config)


def test_listing_the_flavors_imports_no_dask() -> None:
    import subprocess

    code = (
        "import sys; from stackyard.repository import Repository; "
        "r = Repository(); r.get_flavor('orchestrator', 'dask'); r.get_flavor('step_operator', 'dask'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    env = {**os.environ, "STACKYARD_CONFIG_PATH": os.environ.get("STACKYARD_CONFIG_PATH", "")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


def test_the_cli_refuses_a_stack_of_a_remote_scheduler_and_local_stores(stackyard_cli) -> None:  # type: ignore[no-untyped-def]
    registered = stackyard_cli("orchestrator", "register", "cluster", "--flavor=dask", "--address=tcp://scheduler.internal:8786")
    assert registered.exit_code == 0, registered.output
    result = stackyard_cli("stack", "register", "far", "-o", "cluster", "-a", "default", "-m", "default")
    assert result.exit_code != 0
    assert "the artifact store 'default' (local) keeps its data on this machine's disk" in result.output
    assert "the metadata store 'default' (sqlite) keeps its data on this machine's disk" in result.output
    assert "Traceback" not in result.output
    assert "far" not in stackyard_cli("stack", "list").output
