"""Benchmark the pipeline layer: per-step overhead, cached re-runs, artifact throughput.

Run: ``.venv/bin/python benchmarks/pipelines.py`` (needs numpy). Everything
happens in a temporary config directory on the default local stack, so it
measures what a user's first pipeline on this machine would see.

- overhead: a chain of N trivial steps run as a pipeline (new cache keys
  every time, so every step executes) vs calling the same functions directly,
  as wall time and as this process's CPU time (which other work on the
  machine hardly changes);
- cached: the same chain re-run with nothing changed (every step from cache);
- graph: building a pipeline instance of 400 and 1,600 chained steps (linear);
- artifacts: float64 arrays of several sizes (default 1, 10, 60 and 200 MB)
  written and read through the numpy materializer and the artifact store,
  as a step with its cache on writes its outputs (identified by provenance,
  nothing hashed), vs ``numpy.save``/``numpy.load`` into the same folder,
  alternately in one run; each ratio is best against best (the best of
  several tries is what the machine can do, other work on it aside). Again with the other
  core busy (a spinning process), and content-hashed at 10 and 60 MB (as a
  step run without its cache writes its outputs).

Targets (issue 11, docs/benchmarks.md): executed step <= 0.8 ms and cached
step <= 0.3 ms of overhead; artifact writes >= 85% of ``numpy.save`` at
10-200 MB with the other core idle, >= 70% at 1 MB.

An executed step creates a folder and a file (its output artifact). On ext4
without a journal (the development machine's disk), allocating an inode skips
every free inode deleted less than a minute ago (five, while its deletion is
not yet written to disk), looking each one up: for a few minutes after
thousands of files were deleted (a test run, this script's previous run) the
executed-step figure rises by up to half a millisecond. Leave a few quiet
minutes between runs; ``--wait`` sleeps first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _chain(steps: int) -> Any:
    from stackyard import pipeline, step

    @step
    def increment(x: int, salt: int = 0) -> int:
        return x + 1

    @pipeline(name="benchmark_chain")
    def chain(salt: int = 0):
        value = increment(x=0, salt=salt)
        for _ in range(steps - 1):
            value = increment(value, salt=salt)

    return chain, increment.entrypoint


def bench_graph(sizes: list[int], repeat: int) -> dict[int, tuple[float, float]]:
    """Best wall and CPU time to build a pipeline instance of N chained steps (the graph only, nothing runs)."""
    result = {}
    for size in sizes:
        chain, _ = _chain(size)
        times, cpu_times = [], []
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            chain()
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
        result[size] = (min(times), min(cpu_times))
    return result


def bench_steps(steps: int, repeat: int) -> dict[str, float]:
    chain, function = _chain(steps)
    direct = []
    for _ in range(repeat):
        started = time.perf_counter()
        value = 0
        for _ in range(steps):
            value = function(value)
        direct.append(time.perf_counter() - started)
    fresh, cached, fresh_cpu, cached_cpu = [], [], [], []
    for attempt in range(repeat):
        instance = chain(salt=attempt + 1)  # new parameters: every step executes
        started, cpu = time.perf_counter(), time.process_time()
        run = instance.run(progress=False)
        fresh.append(time.perf_counter() - started)
        fresh_cpu.append(time.process_time() - cpu)
        assert run.steps[-1].output.read() == steps
        instance = chain(salt=attempt + 1)
        started, cpu = time.perf_counter(), time.process_time()
        run = instance.run(progress=False)
        cached.append(time.perf_counter() - started)
        cached_cpu.append(time.process_time() - cpu)
        assert run.status.value == "cached"
    base = min(direct)
    return {
        "direct_ms_per_step": base / steps * 1000,
        "overhead_ms_per_step": (statistics.median(fresh) - base) / steps * 1000,
        "cached_ms_per_step": (statistics.median(cached) - base) / steps * 1000,
        "overhead_cpu_ms_per_step": (statistics.median(fresh_cpu) - base) / steps * 1000,
        "cached_cpu_ms_per_step": (statistics.median(cached_cpu) - base) / steps * 1000,
    }


def bench_artifacts(megabytes: int, repeat: int, provenance: str | None = "provenance:benchmark:output") -> dict[str, float]:
    """Write/read one array through the artifact store and with numpy, alternately; ratios of the best times.

    ``provenance`` set: written as a step with its cache on writes its outputs
    (identified by provenance, nothing hashed); ``None``: as a step without
    its cache does (SHA-256 content hash up to 64 MiB).
    """
    import numpy as np

    from stackyard import Repository
    from stackyard.pipelines.artifacts import read_artifact, write_artifact

    store = Repository().active_stack.artifact_store
    array = np.random.default_rng(0).random(megabytes * 1024 * 1024 // 8)
    raw_file = Path(store.path) / "raw" / "array.npy"
    raw_file.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[float]] = {"raw_write": [], "raw_read": [], "write": [], "read": []}
    rounds = repeat * (5 if megabytes <= 10 else 2)  # small arrays are quick and noisy: more pairs
    for _ in range(rounds):
        started = time.perf_counter()
        np.save(raw_file, array)
        results["raw_write"].append(time.perf_counter() - started)
        started = time.perf_counter()
        loaded = np.load(raw_file)
        results["raw_read"].append(time.perf_counter() - started)
        del loaded
        raw_file.unlink()
        started = time.perf_counter()
        record = write_artifact(store, f"{store.path}/benchmark", array, provenance=provenance)
        results["write"].append(time.perf_counter() - started)
        started = time.perf_counter()
        loaded = read_artifact(store, record)
        results["read"].append(time.perf_counter() - started)
        assert loaded.shape == array.shape
        del loaded
        store.rmtree(record["uri"])
    best = {k: min(v) for k, v in results.items()}
    size = array.nbytes / 1e6

    return {
        "raw_write_mb_s": size / best["raw_write"],
        "raw_read_mb_s": size / best["raw_read"],
        "write_mb_s": size / best["write"],
        "read_mb_s": size / best["read"],
        "write_ratio": best["raw_write"] / best["write"],
        "read_ratio": best["raw_read"] / best["read"],
    }


class BusyCore:
    """A process spinning on one core while the block runs (the "other core busy" rows)."""

    def __enter__(self) -> BusyCore:
        import subprocess

        self._process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.kill()
        self._process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="length of the trivial chain (default 200)")
    parser.add_argument(
        "--megabytes", type=int, nargs="+", default=[1, 10, 60, 200], metavar="MB",
        help="sizes of the arrays (default 1 10 60 200)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="repetitions; median (steps, ratios) or best (MB/s)")
    parser.add_argument("--no-busy", action="store_true", help="skip the artifact rows with the other core busy")
    parser.add_argument(
        "--wait", type=float, default=0, metavar="SECONDS",
        help="sleep this long first, so that files deleted just before stop slowing down file creation",
    )
    args = parser.parse_args(argv)
    time.sleep(args.wait)
    with tempfile.TemporaryDirectory(prefix="stackyard-bench-") as folder:
        os.environ["STACKYARD_CONFIG_PATH"] = folder
        os.chdir(folder)
        graph = bench_graph([400, 1600], args.repeat)
        steps = bench_steps(args.steps, args.repeat)
        artifacts = {megabytes: bench_artifacts(megabytes, args.repeat) for megabytes in args.megabytes}
        hashed = {megabytes: bench_artifacts(megabytes, args.repeat, provenance=None) for megabytes in (10, 60)}
        busy = {}
        if not args.no_busy and (os.cpu_count() or 1) > 1:
            with BusyCore():
                busy = {megabytes: bench_artifacts(megabytes, args.repeat) for megabytes in args.megabytes}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| executed step overhead ({args.steps}-step chain), wall / CPU of this process | "
        f"{steps['overhead_ms_per_step']:.2f} / {steps['overhead_cpu_ms_per_step']:.2f} ms | <= 0.8 ms |"
    )
    print(
        f"| cached step overhead, wall / CPU of this process | "
        f"{steps['cached_ms_per_step']:.2f} / {steps['cached_cpu_ms_per_step']:.2f} ms | <= 0.3 ms |"
    )
    print(f"| calling the function directly, per step | {steps['direct_ms_per_step'] * 1000:.2f} µs | |")
    for size, (seconds, cpu) in graph.items():
        print(
            f"| building a pipeline of {size} steps, wall / CPU | {seconds * 1000:.1f} / {cpu * 1000:.1f} ms "
            "| linear; <= 20 ms at 1,600 |"
        )
    for label, table in (("", artifacts), (", other core busy", busy)):
        for megabytes, result in table.items():
            target = ">= 70%" if megabytes < 10 else (">= 85%" if not label else "report")
            print(
                f"| artifact write{label}, {megabytes} MB numpy | {result['write_ratio']:.0%} of numpy.save "
                f"({result['write_mb_s']:.0f} against {result['raw_write_mb_s']:.0f} MB/s) | {target} |"
            )
            print(
                f"| artifact read{label}, {megabytes} MB numpy | {result['read_ratio']:.0%} of numpy.load "
                f"({result['read_mb_s']:.0f} against {result['raw_read_mb_s']:.0f} MB/s) | >= 70% |"
            )
    for megabytes, result in hashed.items():
        print(
            f"| artifact write, content-hashed (step run without cache), {megabytes} MB | "
            f"{result['write_ratio']:.0%} of numpy.save | |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
