"""Benchmark registering components through the Python API: one call per component against one
bulk call.

Run: ``.venv/bin/python benchmarks/registration.py`` (``--bulk N``, ``--single N``, ``--rounds N``).

In each round, in fresh temporary config directories: ``--single`` components (default 1,000)
registered one by one with ``Repository.register_stack_component`` (each durable: synced before
and after its rename), then ``--bulk`` components (default 10,000) with one
``Repository.register_stack_components`` call (one journal, one sync). Prints the median time
per component of each, their ratio, and the bulk figure against the target of 2 ms a component
(docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 2.0


def components(count: int, prefix: str, folder: Path) -> list[object]:
    from stackyard_local import LocalArtifactStore

    return [LocalArtifactStore(name=f"{prefix}-{i:05d}", path=str(folder / f"s{i}")) for i in range(count)]


def per_component_ms(bulk: bool, count: int, folder: Path) -> float:
    """Milliseconds per component to register ``count`` components into a new config dir."""
    os.environ["STACKYARD_CONFIG_PATH"] = str(folder / "config")
    from stackyard import Repository

    repo = Repository()
    repo.stack_names()  # creates the default profile: not part of the measure
    batch = components(count, "bulk" if bulk else "one", folder)
    started = time.perf_counter()
    if bulk:
        repo.register_stack_components(batch)  # type: ignore[arg-type]
    else:
        for component in batch:
            repo.register_stack_component(component)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert len(repo.component_names("artifact_store")) == count + 1
    return elapsed * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=10_000, help="components in the bulk call (default 10,000)")
    parser.add_argument("--single", type=int, default=1_000, help="components registered one by one (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args()

    single, bulk = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="stackyard-bench-reg-") as folder:
            single.append(per_component_ms(False, args.single, Path(folder) / "single"))
            bulk.append(per_component_ms(True, args.bulk, Path(folder) / "bulk"))
    one, many = statistics.median(single), statistics.median(bulk)
    verdict = "ok" if many <= TARGET_MS else "OVER"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; median of {args.rounds} "
          f"rounds; load average at the end: {load}")
    print(f"one call per component ({args.single:,}): {one:7.3f} ms each")
    print(f"one bulk call ({args.bulk:,}):            {many:7.3f} ms each  "
          f"({one / many:.1f}x faster; target ≤ {TARGET_MS:g} ms: {verdict})")


if __name__ == "__main__":
    main()
