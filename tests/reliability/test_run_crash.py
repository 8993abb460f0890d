"""A killed ``pipeline run`` is seen as crashed, leaves no worker behind, and loses nothing to the cache.

Each test writes a pipeline file whose ``left`` and ``right`` steps write their
pid, then wait for a ``release`` file: the test kills the real ``stackyard``
process while they wait, releases them (a surviving worker would now finish
and record its step), and checks what the user sees next.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import RunOwnerGoneError
from stackyard.metadata_stores.liveness import GRACE_ENV, crash_reason, current_owner, process_start_time
from stackyard.pipelines import ExecutionStatus
from stackyard.pipelines.deployment import PipelineDeployment
from stackyard.pipelines.runtime import RuntimeConfiguration

STACKYARD = str(Path(sys.executable).with_name("stackyard"))

PIPELINE = '''
import os
import time
from pathlib import Path

from stackyard import pipeline, step

SIGNALS = Path(os.environ["CRASH_SIGNALS"])


def _log(name):
    with open(SIGNALS / "executions.log", "a") as log:
        log.write(name + "\\n")


def _block(name):
    (SIGNALS / f"{name}.pid").write_text(str(os.getpid()))
    _log(name)
    deadline = time.monotonic() + 60
    while not (SIGNALS / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released this step")
        time.sleep(0.01)


@step
def source() -> int:
    _log("source")
    return 1


@step
def left(value: int) -> int:
    _block("left")
    return value + 1


@step
def right(value: int) -> int:
    _block("right")
    return value + 2


@step
def join(a: int, b: int) -> int:
    _log("join")
    return a + b


@step
def report(total: int) -> int:
    _log("report")
    return total


@pipeline
def blocking():
    start = source()
    report(join(a=left(start), b=right(start)))
'''


def stackyard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STACKYARD, *args], env=env, capture_output=True, text=True, timeout=120)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat[stat.rfind(")") + 2] not in "ZX"


def wait_for(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def project(isolated: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The pipeline file and the environment its runs see (the test's config dir, its signal folder)."""
    signals = tmp_path / "signals"
    signals.mkdir()
    (isolated / "blocking.py").write_text(PIPELINE)
    env = {**os.environ, "NO_COLOR": "1", "CRASH_SIGNALS": str(signals)}
    return signals, env


def kill_while_blocked(signals: Path, env: dict[str, str], workers: int) -> tuple[list[int], int]:
    """Start ``stackyard pipeline run``, kill -9 it once its blocking steps run; return their pids and its pid.

    With workers, they must exit while their step still waits (before the release).
    """
    blocked = ["left", "right"] if workers > 1 else ["left"]
    with open(signals / "cli.out", "w") as out:
        cli = subprocess.Popen(
            [STACKYARD, "pipeline", "run", "blocking.py:blocking", "--run-name", "killed",
             "--option", f"max_workers={workers}"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: all((signals / f"{n}.pid").exists() for n in blocked) or cli.poll() is not None,
            "the blocking steps to start",
        )
        assert cli.poll() is None, (signals / "cli.out").read_text()
        pids = [int((signals / f"{n}.pid").read_text()) for n in blocked]
        os.kill(cli.pid, signal.SIGKILL)
    finally:
        cli.kill()
        cli.wait()
    if workers > 1:
        wait_for(lambda: not any(alive(pid) for pid in pids), "the workers to exit mid-step", timeout=20)
    (signals / "release").touch()  # a worker that survived would now finish its step and record it
    return pids, cli.pid


def check_crashed_run(signals: Path, env: dict[str, str], blocked: list[str]) -> None:
    """What the user sees after the kill, then the next run."""
    store = Repository().active_stack.metadata_store
    assert store is not None
    killed = store.get_run("killed")
    assert killed is not None and killed["status"] == "running"  # nobody recorded the end: the process was killed
    steps = {s["name"]: s["status"] for s in store.get_steps(killed["id"])}
    assert steps == {"source": "completed", **{n: "running" for n in blocked}}  # nothing recorded after the kill

    run = Repository().get_run("killed")
    assert run.status is ExecutionStatus.CRASHED
    assert "ended without finishing" in (run.error or "")
    assert {s.name: s.status for s in run.steps if s.name in blocked} == {n: ExecutionStatus.CRASHED for n in blocked}

    listed = stackyard("pipeline", "runs", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [line for line in listed.stdout.splitlines() if "killed" in line and "crashed" in line], listed.stdout
    described = stackyard("pipeline", "run-describe", "killed", env=env)
    assert "Status:     crashed" in described.stdout and "ended without finishing" in described.stdout

    executions = (signals / "executions.log").read_text().split()
    nxt = stackyard("pipeline", "run", "blocking.py:blocking", "--run-name", "next", env=env)
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr
    store_record = store.get_run("killed")
    assert store_record is not None and store_record["status"] == "crashed"  # the next run recorded it
    rerun = Repository().get_run("next")
    statuses = {s.name: s.status for s in rerun.steps}
    assert statuses["source"] is ExecutionStatus.CACHED  # it completed before the kill
    for name in [*blocked, "join", "report"]:
        assert statuses[name] is ExecutionStatus.COMPLETED, name  # never served from the killed run
    again = (signals / "executions.log").read_text().split()[len(executions):]
    assert sorted(again) == sorted({"left", "right", "join", "report"})
    assert rerun.get_step("report").output.read() == 5


def test_killing_a_parallel_run_stops_its_workers_and_shows_it_crashed(project: tuple[Path, dict[str, str]]) -> None:
    signals, env = project
    workers, cli_pid = kill_while_blocked(signals, env, workers=2)
    assert cli_pid not in workers and len(set(workers)) == 2  # the steps ran in two worker processes
    check_crashed_run(signals, env, ["left", "right"])


def test_killing_a_sequential_run_shows_it_crashed(project: tuple[Path, dict[str, str]]) -> None:
    signals, env = project
    pids, cli_pid = kill_while_blocked(signals, env, workers=1)
    assert pids == [cli_pid]  # the step ran in the killed process itself
    check_crashed_run(signals, env, ["left"])


# -- a step never records its outcome for a run whose owner is gone -----------------------

OWNER_DIES: dict[str, object] = {}
"""What :func:`owner_dies` needs: the deployment running it and the owner record to put in."""


@step
def first() -> int:
    return 1


@step
def owner_dies(value: int) -> int:
    OWNER_DIES["deployment"].owner = OWNER_DIES["dead"]  # type: ignore[attr-defined]
    return value


@pipeline
def two_steps():
    owner_dies(first())


def dead_owner() -> dict[str, object]:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return {**current_owner(), "pid": int(finished.stdout), "start_time": None}


def test_a_step_whose_run_owner_died_records_nothing_more() -> None:
    stack = Repository().active_stack
    store = stack.metadata_store
    assert store is not None
    instance = two_steps()
    run_id = store.create_run("two_steps", "orphaned", stack={}, runtime_configuration={}, parameters={})
    deployment = PipelineDeployment(instance, stack, RuntimeConfiguration({}, run_name="orphaned"), run_id)
    parent = os.getppid()  # run_step checks owners other than its own process: let a live one own the run
    deployment.owner = {**current_owner(), "pid": parent, "start_time": process_start_time(parent)}
    OWNER_DIES.update(deployment=deployment, dead=dead_owner())
    deployment.run_step("first")
    with pytest.raises(RunOwnerGoneError):
        deployment.run_step("owner_dies")  # its owner dies while it runs: its outcome is not recorded
    with pytest.raises(RunOwnerGoneError):
        deployment.run_step("owner_dies")  # nor does it start again
    assert [(s["name"], s["status"]) for s in store.get_steps(run_id)] == [("first", "completed"), ("owner_dies", "running")]
    assert store.find_cached_steps(store.get_step(run_id, "owner_dies")["cache_key"]) == []


# -- the heartbeat rule, for owners this host cannot check ---------------------------------


def record(owner: dict[str, object] | None, heartbeat: float | None, status: str = "running") -> dict[str, object]:
    return {"status": status, "owner": owner, "heartbeat": heartbeat}


def test_a_stale_heartbeat_from_another_host_is_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRACE_ENV, "60")
    owner = {"host": "build-box-7", "pid": 311, "start_time": "b:1", "heartbeat_interval": 5.0}
    now = time.time()
    assert crash_reason(record(owner, now - 5), now) is None
    reason = crash_reason(record(owner, now - 61), now)
    assert reason is not None and "No heartbeat" in reason and "pid 311 on host 'build-box-7'" in reason
    assert crash_reason(record(owner, now - 61, status="completed"), now) is None


def test_the_grace_period_covers_three_of_the_owners_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRACE_ENV, "10")
    owner = {"host": "build-box-7", "pid": 311, "start_time": "b:1", "heartbeat_interval": 30.0}
    now = time.time()
    assert crash_reason(record(owner, now - 80), now) is None  # a slow beater is not dead yet
    assert crash_reason(record(owner, now - 91), now) is not None


def test_a_live_process_on_this_host_is_running_even_with_a_late_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRACE_ENV, "1")
    now = time.time()
    assert crash_reason(record(current_owner(), now - 3600), now) is None


def test_a_run_from_a_flavor_without_heartbeats_is_never_crashed() -> None:
    assert crash_reason(record(None, None), time.time() + 10**6) is None
