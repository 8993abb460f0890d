"""Reliability of pipeline runs under kill -9, at scale: crashed runs, orphaned workers, the cache, new databases.

Run: ``.venv/bin/python benchmarks/reliability_runs.py [--scale N]`` (default 100 kills).
Everything happens in a temporary config directory, through the real
``stackyard`` console script.

- kills: ``stackyard pipeline run`` of a fan-out pipeline (source -> 4 steps
  that sleep a random while -> join -> report) is killed with SIGKILL after a
  random delay, in turn sequentially, with fork, spawn and forkserver workers.
  A state is broken when a worker outlives the kill, a step is recorded as
  ended after the kill, the run still reads ``running``, the next run fails,
  serves a step from cache whose source did not complete, or leaves the
  killed run unrecorded as ``crashed``.
- races: 24 processes at once open the same missing SQLite database and
  record a run; broken when one fails or a run is missing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STACKYARD = str(Path(sys.executable).with_name("stackyard"))
FAN = 4

PIPELINE = """
import os
import random
import time
from pathlib import Path

from stackyard import pipeline, step

SIGNALS = Path(os.environ["CRASH_SIGNALS"])


def _nap(name, salt):
    (SIGNALS / f"{salt}-{name}.pid").write_text(str(os.getpid()))
    time.sleep(random.Random(f"{salt}-{name}").uniform(0.0, 0.25))


@step
def source(salt: int) -> int:
    _nap("source", salt)
    return salt


@step
def work(value: int, index: int) -> int:
    _nap(f"work{index}", value)
    return value + index


@step
def join(a: int, b: int, c: int, d: int) -> int:
    _nap("join", a)
    return a + b + c + d


@step
def report(total: int) -> int:
    return total


@pipeline
def fan(salt: int = 0):
    start = source(salt=salt)
    report(join(*(work(value=start, index=i) for i in range(4))))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] not in "ZX"


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STACKYARD, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def _setup(root: Path) -> tuple[dict[str, str], Path, Path]:
    signals = root / "signals"
    signals.mkdir()
    work = root / "work"
    work.mkdir()
    (work / "fan.py").write_text(PIPELINE)
    env = {**os.environ, "NO_COLOR": "1", "STACKYARD_CONFIG_PATH": str(root / "config"), "CRASH_SIGNALS": str(signals)}
    for method in ("spawn", "forkserver"):
        _cli("orchestrator", "register", method, "--flavor=local", f"--start_method={method}", env=env, cwd=work)
        _cli("stack", "register", method, "-o", method, "-a", "default", "-m", "default", env=env, cwd=work)
    return env, signals, work


def _kill_once(index: int, mode: str, env: dict[str, str], signals: Path, work: Path, rng: random.Random) -> dict[str, Any]:
    from stackyard import Repository

    salt = index + 1
    stack = {"sequential": "default", "fork": "default", "spawn": "spawn", "forkserver": "forkserver"}[mode]
    workers = 1 if mode == "sequential" else rng.choice([2, 3, 4])
    name = f"killed-{index}"
    cli = subprocess.Popen(
        [STACKYARD, "pipeline", "run", "fan.py:fan", "--param", f"salt={salt}", "--run-name", name,
         "--stack", stack, "--option", f"max_workers={workers}"],
        env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(rng.uniform(0.4, 1.5))  # the kill lands anywhere from CLI start-up to the end of the run
    killed_at = time.time()
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait()
    pids = {int(p.read_text()) for p in signals.glob(f"{salt}-*.pid") if p.read_text()} - {cli.pid}
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    survivors = [p for p in pids if _alive(p)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)

    repo = Repository()
    store = repo.get_stack(stack).metadata_store
    figures: dict[str, Any] = {"workers": len(pids), "survivors": len(survivors)}
    record = store.get_run(name)
    if record is None:  # killed before the run was recorded
        figures.update(status="unrecorded", late_steps=0, left_running=0)
    else:
        steps = store.get_steps(record["id"])
        figures["late_steps"] = sum(1 for s in steps if s["ended"] is not None and s["ended"] > killed_at + 0.05)
        figures["completed_steps"] = sum(1 for s in steps if s["status"] in ("completed", "cached"))
        status = repo.get_run(name, stack=repo.get_stack(stack)).status.value
        figures["status"] = status
        figures["left_running"] = int(status == "running")
    nxt = _cli("pipeline", "run", "fan.py:fan", "--param", f"salt={salt}", "--run-name", f"next-{index}",
               "--stack", stack, env=env, cwd=work)
    figures["next_ok"] = nxt.returncode == 0
    figures["bad_cache"] = 0
    if nxt.returncode == 0:
        killed_steps = {s["id"]: s["status"] for s in store.get_steps(record["id"])} if record else {}
        next_steps = store.get_steps(store.get_run(f"next-{index}")["id"])
        figures["bad_cache"] = sum(  # a step served from one of the killed run's steps that did not complete
            1 for s in next_steps if s["status"] == "cached" and killed_steps.get(s["cached_from"], "completed") != "completed"
        )
        figures["rerun_steps"] = sum(1 for s in next_steps if s["status"] == "completed")
    after = store.get_run(name)
    figures["unmarked"] = int(after is not None and after["status"] == "running")
    return figures


def _create_and_record(uri: str, name: str) -> None:
    from stackyard_local import SQLiteMetadataStore

    SQLiteMetadataStore(name=name, uri=uri).create_run("race", name, stack={}, runtime_configuration={}, parameters={})


def _race(root: Path, processes: int) -> int:
    """Broken states after ``processes`` open one new database at once."""
    from stackyard_local import SQLiteMetadataStore

    uri = str(root / f"race-{time.monotonic_ns()}" / "metadata.db")
    context = multiprocessing.get_context("fork")
    openers = [context.Process(target=_create_and_record, args=(uri, f"p{n}")) for n in range(processes)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(120)
    failed = sum(1 for o in openers if o.exitcode != 0)
    runs = {r["name"] for r in SQLiteMetadataStore(name="check", uri=uri).get_runs()}
    return failed + (processes - len(runs) if not failed else 0)


def run(scale: int = 100) -> dict[str, Any]:
    """Kill ``scale`` runs and race ``max(2, scale // 10)`` database creations; return the figures."""
    started = time.perf_counter()
    rng = random.Random(9)
    modes = ["sequential", "fork", "spawn", "forkserver"]
    with tempfile.TemporaryDirectory(prefix="stackyard-reliability-runs-") as folder:
        root = Path(folder)
        env, signals, work = _setup(root)
        os.environ["STACKYARD_CONFIG_PATH"] = env["STACKYARD_CONFIG_PATH"]
        results = [(_kill_once(i, modes[i % 4], env, signals, work, rng), modes[i % 4]) for i in range(scale)]
        rounds = max(2, scale // 10)
        race_broken = sum(_race(root, 24) for _ in range(rounds))
    figures = [f for f, _ in results]
    broken = {
        "workers_survived": sum(f["survivors"] for f in figures),
        "steps_recorded_after_kill": sum(f["late_steps"] for f in figures),
        "runs_left_running": sum(f["left_running"] for f in figures),
        "next_runs_failed": sum(1 for f in figures if not f["next_ok"]),
        "incomplete_steps_served_from_cache": sum(f["bad_cache"] for f in figures),
        "crashed_runs_not_recorded_by_next_run": sum(f["unmarked"] for f in figures),
        "database_creation_races_broken": race_broken,
    }
    return {
        "kills": scale,
        "kills_by_mode": {m: sum(1 for _, mode in results if mode == m) for m in modes},
        "killed_runs_by_status": {s: sum(1 for f in figures if f["status"] == s) for s in sorted({f["status"] for f in figures})},
        "worker_processes_seen": sum(f["workers"] for f in figures),
        "operations_committed": sum(f.get("completed_steps", 0) + f.get("rerun_steps", 0) for f in figures),
        "steps_rerun_by_next_runs": sum(f.get("rerun_steps", 0) for f in figures),
        "database_creation_races": rounds,
        "processes_per_race": 24,
        "broken": broken,
        "states_found_broken": sum(broken.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="number of kills (default 100)")
    print(json.dumps(run(parser.parse_args().scale), indent=2))
