"""Benchmark the start-up of the ``stackyard`` command.

Run: ``.venv/bin/python benchmarks/cli.py`` (``--runs N``, ``--markdown``).

Reports, in one run, the median wall time of ``python -c pass``, ``python -c
'import click'`` (the floor for any click CLI), ``stackyard
--help``, ``stackyard stack list`` and ``stackyard artifact-store flavor
list`` on a default profile and on a profile with 1,000 components and 200
stacks, ``stack list`` with 2,000 stacks, each with its ratio to ``python -c pass``, and a
CLI registration (``artifact-store register``, a new name each round) with its ratio to
``stack list`` on the same profile. Commands run round-robin
(one of each per round) so that a burst of load elsewhere on the machine hits
them all alike. Everything happens in temporary config directories.

Python's bytecode cache is allowed (``PYTHONDONTWRITEBYTECODE`` is removed
from the commands' environment, ``PYTHONPYCACHEPREFIX`` points into the temporary
folder) and warmed up first, as it is for anyone who installed stackyard with pip.
Each row also gives the command's CPU time (user + system), which stays steady
when other work loads the machine and wall times do not.

Targets (docs/benchmarks.md): ``--help`` within 5x of ``python -c pass``,
``stack list`` within 8x on the default profile and with 2,000 stacks, 12x on the large one;
a registration within 1.3x of ``stack list``. The Python API's bulk registration is
measured by ``benchmarks/registration.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cli_runs import environment, stackyard

COMPONENTS = 1000
STACKS = 200
MANY_STACKS = 2000
TARGETS = {
    ("default", "stackyard --help"): 5.0,
    ("default", "stackyard stack list"): 8.0,
    ("large", "stackyard stack list"): 12.0,
    ("2k-stacks", "stackyard stack list"): 8.0,
}
REGISTRATION = "stackyard artifact-store register"
REGISTRATION_TARGET = 1.3  # of stack list on the same profile
LISTING_MODULES = "stackyard_cli.main, stackyard.repository, stackyard_cli.commands.stack"
FLAVOR_MODULE = "stackyard_local.artifact_store"
FREEZE = "; import gc; gc.freeze()"  # as the CLI's main() does before it exits
LISTING_IMPORTS = "import what stack list imports"
FLAVOR_IMPORTS = "... and the local artifact store's class"
"""A registration must import its flavor's class (an attrs class) to validate the parameters: these two
rows show what that import alone costs on top of what listing imports."""


def populate(config: Path, components: int, stacks: int) -> None:
    """A default profile plus ``components`` components and ``stacks`` stacks, through the Python API."""
    os.environ["STACKYARD_CONFIG_PATH"] = str(config)
    from stackyard import Repository
    from stackyard.stack import Stack
    from stackyard_local import LocalArtifactStore, LocalOrchestrator, SQLiteMetadataStore

    repo = Repository()
    default = repo.get_stack("default")
    per_type = components // 3
    orchestrators = [LocalOrchestrator(name=f"orchestrator-{i:04d}") for i in range(per_type)]
    artifact_stores = [LocalArtifactStore(name=f"store-{i:04d}", path=f"/tmp/bench/store-{i}") for i in range(per_type)]
    metadata_stores = [
        SQLiteMetadataStore(name=f"metadata-{i:04d}", uri=f"/tmp/bench/metadata-{i}.db")
        for i in range(components - 2 * per_type)
    ]
    repo.register_stack_components([*orchestrators, *artifact_stores, *metadata_stores])
    for i in range(stacks - 1):  # plus the default stack
        repo.register_stack(
            Stack(
                name=f"stack-{i:04d}",
                orchestrator=orchestrators[i % len(orchestrators)],
                artifact_store=artifact_stores[i % len(artifact_stores)],
                metadata_store=metadata_stores[i % len(metadata_stores)] if i % 2 else default.metadata_store,
            )
        )


def populate_stacks(config: Path, stacks: int) -> None:
    """A default profile with ``stacks`` stacks (copies of the default one)."""
    os.environ["STACKYARD_CONFIG_PATH"] = str(config)
    from stackyard import Repository

    repo = Repository()
    for i in range(stacks - 1):
        repo.copy_stack("default", f"stack-{i:04d}")


def measure(
    commands: dict[str, tuple[list[str], dict[str, str]]], runs: int, warmup: int = 3
) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall time and median CPU time (user + system) in milliseconds of each command, run
    round-robin. CPU time is steadier than wall time on a machine busy with other work."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(warmup + runs):
        for name, (args, env) in commands.items():
            args = [a.format(n=round_number) for a in args]  # "{n}": a new name each round
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            completed = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if completed.returncode != 0:
                raise SystemExit(f"{name} failed:\n{completed.stderr.decode()}")
            if round_number >= warmup:
                times[name].append(elapsed * 1000)
                used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                cpu[name].append(used * 1000)
    median = statistics.median
    return {n: median(v) for n, v in times.items()}, {n: median(v) for n, v in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="measured runs per command (default 30)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md")
    args = parser.parse_args()

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="stackyard-bench-") as folder:
        os.environ.setdefault("PYTHONPYCACHEPREFIX", str(Path(folder) / "pycache"))  # bytecode kept out of the checkout
        default_config, large_config = Path(folder) / "default", Path(folder) / "large"
        many_config = Path(folder) / "2k-stacks"
        subprocess.run([*stackyard(), "stack", "list"], env=environment(default_config), capture_output=True, check=True)
        started = time.perf_counter()
        populate(large_config, COMPONENTS, STACKS)
        populate_stacks(many_config, MANY_STACKS)
        setup = time.perf_counter() - started

        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], environment(default_config)),
            "|python -c 'import click'": ([sys.executable, "-c", "import click"], environment(default_config)),
            f"|{LISTING_IMPORTS}": (
                [sys.executable, "-c", f"import {LISTING_MODULES}{FREEZE}"], environment(default_config)
            ),
            f"|{FLAVOR_IMPORTS}": (
                [sys.executable, "-c", f"import {LISTING_MODULES}, {FLAVOR_MODULE}{FREEZE}"], environment(default_config)
            ),
        }
        for profile, config in (("default", default_config), ("large", large_config), ("2k-stacks", many_config)):
            env = environment(config)
            for words in (["--help"], ["stack", "list"], ["artifact-store", "flavor", "list"]):
                if profile != "default" and words == ["--help"]:
                    continue  # --help reads no configuration
                if profile == "2k-stacks" and words != ["stack", "list"]:
                    continue
                commands[f"{profile}|stackyard {' '.join(words)}"] = ([*stackyard(), *words], env)
        store = str(Path(folder) / "stores" / "bench-{n}")
        commands[f"default|{REGISTRATION}"] = (
            [*stackyard(), "artifact-store", "register", "bench-{n}", "--flavor", "local", "--path", store],
            environment(default_config),
        )
        medians, cpu = measure(commands, args.runs)

    base, cpu_base = medians.pop("python -c pass"), cpu.pop("python -c pass")
    rows = [("", "python -c pass", base, 1.0, cpu_base, 1.0, "")]
    for key, value in medians.items():
        profile, command = key.split("|")
        target = TARGETS.get((profile, command))
        ratio, cpu_ratio = value / base, cpu[key] / cpu_base
        verdict = "" if target is None else (f"≤ {target:g}× ok" if ratio <= target else f"> {target:g}× OVER")
        if command == REGISTRATION:
            listing = f"{profile}|stackyard stack list"
            wall, used = value / medians[listing], cpu[key] / cpu[listing]
            ok = "ok" if wall <= REGISTRATION_TARGET else "OVER"
            verdict = f"{wall:.2f}× stack list, CPU {used:.2f}× (≤ {REGISTRATION_TARGET:g}× {ok})"
            flavor = medians[f"|{FLAVOR_IMPORTS}"] - medians[f"|{LISTING_IMPORTS}"]
            verdict += f"; its flavor class alone: +{flavor:.1f} ms = {flavor / medians[listing]:.2f}× stack list"
        rows.append((profile, command, value, ratio, cpu[key], cpu_ratio, verdict))

    print(f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
          f"median of {args.runs} runs; large profile: {COMPONENTS} components, {STACKS} stacks "
          f"(set up in {setup:.1f} s); load average before: {load}")
    if args.markdown:
        print("\n| profile | command | median | ratio to `python -c pass` | CPU | CPU ratio | target |")
        print("|---|---|---:|---:|---:|---:|---|")
        for profile, command, value, ratio, used, cpu_ratio, verdict in rows:
            print(f"| {profile} | `{command}` | {value:.1f} ms | {ratio:.2f}× | {used:.1f} ms | {cpu_ratio:.2f}× | {verdict} |")
    else:
        for profile, command, value, ratio, used, cpu_ratio, verdict in rows:
            print(f"{profile:9} {command:38} {value:7.1f} ms {ratio:6.2f}x  CPU {used:6.1f} ms {cpu_ratio:5.2f}x  {verdict}")


if __name__ == "__main__":
    main()
