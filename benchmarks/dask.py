"""Benchmark the ``dask`` orchestrator: parallel speed-up on 2 workers and per-step overhead.

Run: ``.venv/bin/python benchmarks/dask.py`` (needs ``plugins/stackyard-dask``
installed). Everything happens in a temporary config directory, with a local
artifact store and a SQLite metadata store; the steps are defined in this
script (``__main__``), so their code is shipped to the workers by value, as a
user's script would be.

- speed-up: a pipeline of 8 independent CPU-bound steps of about 1 s each
  (pure Python, so threads would not help), run by the local orchestrator one
  after another vs by the ``dask`` orchestrator on a pre-started LocalCluster of
  2 single-threaded worker processes (``address`` set), and with the
  LocalCluster started and stopped by the run (no ``address``); raw Dask
  (``client.submit`` of the same 8 functions) for reference. The variants
  run interleaved, round after round, and each ratio is the median over the
  rounds, so that a busy moment of a shared machine hits them all alike;
- overhead: a chain of N trivial steps on the pre-started cluster (each waits
  for the one before, so nothing overlaps) vs the local orchestrator, per step.

Targets (docs/benchmarks.md): speed-up >= 1.8x on 2 workers; overhead <= 50 ms per step.
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this file's folder comes first on sys.path, and this file (dask.py) would hide the dask package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

from stackyard import pipeline, step

LOOPS_PER_SECOND = 0
"""Set by :func:`calibrate`: iterations of :func:`spin` that take about a second here."""


def spin(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


@step(enable_cache=False)
def burn(index: int, loops: int) -> int:
    return spin(loops) + index


@pipeline(name="benchmark_dask_wide")
def wide(loops: int, width: int = 8):
    for index in range(width):
        burn(index=index, loops=loops)


@step(enable_cache=False)
def increment(x: int) -> int:
    return x + 1


def chain_pipeline(steps: int) -> Any:
    @pipeline(name="benchmark_dask_chain")
    def chain():
        value = increment(x=0)
        for _ in range(steps - 1):
            value = increment(value)

    return chain


def calibrate() -> int:
    loops = 200_000
    while True:
        started = time.perf_counter()
        spin(loops)
        took = time.perf_counter() - started
        if took > 0.2:
            return int(loops / took)
        loops *= 2


def make_stack(folder: Path, orchestrator: Any) -> Any:
    from stackyard.repository import Repository
    from stackyard.stack.stack import Stack

    repo = Repository()
    store = repo.get_flavor("artifact_store", "local").implementation(name="a", path=str(folder / "artifacts"))
    metadata = repo.get_flavor("metadata_store", "sqlite").implementation(name="m", uri=str(folder / "metadata.db"))
    return Stack("bench", orchestrator=orchestrator, artifact_store=store, metadata_store=metadata)


def timed(function: Any) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU time of each of the 8 steps")
    parser.add_argument("--chain", type=int, default=40, help="trivial steps in the overhead chain")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median) / runs (best of)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="stackyard-bench-dask-"))
    os.environ["STACKYARD_CONFIG_PATH"] = str(folder / "config")
    from distributed import Client, LocalCluster

    from stackyard.repository import Repository
    from stackyard_dask.orchestrator import DaskOrchestrator

    logging.getLogger("stackyard").setLevel(logging.WARNING)
    local = Repository().get_flavor("orchestrator", "local").implementation(name="local")
    loops = int(calibrate() * args.seconds)
    run = lambda instance, stack: instance.run(stack=stack, run_name=f"b-{uuid.uuid4().hex[:10]}")  # noqa: E731

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=":0", silence_logs=logging.WARNING)
    rounds: list[dict[str, float]] = []
    try:
        stack = make_stack(folder, DaskOrchestrator(name="d", address=cluster.scheduler_address))
        per_run_stack = make_stack(folder, DaskOrchestrator(name="d", n_workers=2))
        local_stack = make_stack(folder, local)
        run(wide(loops=loops, width=2), stack)  # warm-up: worker clients, imports
        with Client(cluster, set_as_default=False) as client:
            for _ in range(args.repeat):  # interleaved, so that a busy moment of the machine hits every variant
                rounds.append({
                    "sequential": timed(lambda: run(wide(loops=loops), local_stack)),
                    "prestarted": timed(lambda: run(wide(loops=loops), stack)),
                    "raw": timed(lambda: client.gather([client.submit(spin, loops, pure=False) for _ in range(8)])),
                    "per_run": timed(lambda: run(wide(loops=loops), per_run_stack)),
                })
        chain = chain_pipeline(args.chain)
        on_dask = min(timed(lambda: run(chain(), stack)) for _ in range(args.repeat))
        on_local = min(timed(lambda: run(chain(), local_stack)) for _ in range(args.repeat))
    finally:
        cluster.close()

    def ratio(variant: str) -> float:
        return statistics.median(r["sequential"] / r[variant] for r in rounds)

    def seconds(variant: str) -> float:
        return statistics.median(r[variant] for r in rounds)

    print(f"8 independent CPU-bound steps of ~{args.seconds:g} s, 2 workers, {os.cpu_count()} CPUs, "
          f"median of {args.repeat} interleaved rounds, load average {os.getloadavg()[0]:.1f}")
    print(f"  local orchestrator, one after another   {seconds('sequential'):7.2f} s")
    print(f"  dask, pre-started cluster (address)     {seconds('prestarted'):7.2f} s   speed-up {ratio('prestarted'):.2f}x  (goal >= 1.8x)")
    print(f"  dask, LocalCluster started by the run   {seconds('per_run'):7.2f} s   speed-up {ratio('per_run'):.2f}x")
    print(f"  raw dask, client.submit of the same 8   {seconds('raw'):7.2f} s   speed-up {ratio('raw'):.2f}x")
    print(f"chain of {args.chain} trivial steps (best of {args.repeat})")
    print(f"  local orchestrator  {on_local * 1000 / args.chain:7.1f} ms per step")
    print(f"  dask (address)      {on_dask * 1000 / args.chain:7.1f} ms per step   "
          f"overhead over local {(on_dask - on_local) * 1000 / args.chain:.1f} ms per step  (goal <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
