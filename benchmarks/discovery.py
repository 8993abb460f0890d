"""Benchmark how plugin discovery grows with the number of installed plugin packages.

Run: ``.venv/bin/python benchmarks/discovery.py`` (``--runs N``, ``--counts 0,20,100``).

For each count it makes a throwaway virtual environment that sees this
environment's packages (Stackyard, the local flavors) and installs that many
generated dummy plugin distributions into it — each a real ``*.dist-info``
with a ``stackyard.plugins`` entry point, a hook module and an alerter flavor,
exactly what ``pip install`` leaves behind. It then reports the median wall
time of:

- ``stackyard stack list`` (needs no flavor, so no discovery at all);
- ``stackyard artifact-store flavor list`` with the discovery cache warm
  (the everyday case);
- the same with the cache removed before every run (the first command after
  ``pip install``/``uninstall``, which rebuilds the cache).

Targets (docs/benchmarks.md): 100 plugins add at most 20 ms to ``stack list``
and 50 ms to ``flavor list``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

PLUGIN = '''
from stackyard import hookimpl


@hookimpl
def stackyard_alerter_flavors():
    from {module}.alerter import DummyAlerter

    return [DummyAlerter]
'''

ALERTER = '''
from typing import ClassVar

from stackyard.alerters import BaseAlerter


class DummyAlerter(BaseAlerter):
    """Dummy alerter number {index}."""

    FLAVOR: ClassVar[str] = "dummy-{index}"
    channel: str = "#ml"

    def post(self, message: str) -> bool:
        return True

    def ask(self, question: str) -> bool:
        return False
'''

LAUNCHER = "import sys\nfrom stackyard_cli.main import main\nsys.exit(main())\n"


def make_environment(root: Path, count: int) -> Path:
    """A venv layered on this one, with ``count`` dummy plugin distributions installed."""
    env_dir = root / f"venv-{count}"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    outer = sysconfig.get_paths()["purelib"]
    (site / "outer_env.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
    for index in range(count):
        module = f"stackyard_dummy{index}"
        package = site / module
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "plugin.py").write_text(PLUGIN.format(module=module))
        (package / "alerter.py").write_text(ALERTER.format(index=index))
        info = site / f"stackyard_dummy{index}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: stackyard-dummy{index}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[stackyard.plugins]\ndummy{index} = {module}.plugin\n")
        (info / "RECORD").write_text("")
        (info / "INSTALLER").write_text("benchmark\n")
    (env_dir / "launch_cli.py").write_text(LAUNCHER)  # not stackyard.py: it would shadow the package
    return python


def timed(command: list[str], env: dict[str, str], before: object = None) -> float:
    if callable(before):
        before()
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--counts", default="0,20,100")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]

    with tempfile.TemporaryDirectory(prefix="stackyard-discovery-") as tmp:
        root = Path(tmp)
        cases = []
        for count in counts:
            python = make_environment(root, count)
            config = root / f"config-{count}"
            env = {k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["STACKYARD_CONFIG_PATH"] = str(config)
            cli = [str(python), str(python.parent.parent / "launch_cli.py")]
            for warm in range(2):  # first use creates the profile, then warm bytecode and cache
                subprocess.run([*cli, "artifact-store", "flavor", "list"], env=env, capture_output=True, check=True)
            listed = subprocess.run([*cli, "alerter", "flavor", "list", "--output", "json"], env=env,
                                    capture_output=True, text=True, check=True).stdout
            assert listed.count('"dummy-') == count, f"expected {count} dummy flavors"
            cache = config / "cache"

            def drop_cache(cache: Path = cache) -> None:
                shutil.rmtree(cache, ignore_errors=True)

            cases.append((count, "stack list", [*cli, "stack", "list"], env, None))
            cases.append((count, "flavor list (cache warm)", [*cli, "artifact-store", "flavor", "list"], env, None))
            cases.append((count, "flavor list (cache cold)", [*cli, "artifact-store", "flavor", "list"], env, drop_cache))

        times: dict[tuple[int, str], list[float]] = {(c, n): [] for c, n, *_ in cases}
        for _ in range(args.runs):  # round-robin: load bursts hit every case alike
            for count, name, command, env, before in cases:
                times[(count, name)].append(timed(command, env, before))

    medians = {key: statistics.median(values) * 1000 for key, values in times.items()}
    names = ["stack list", "flavor list (cache warm)", "flavor list (cache cold)"]
    print(f"median of {args.runs} runs, ms (growth over {counts[0]} plugins in brackets)")
    print(f"{'plugins':>8} | " + " | ".join(f"{n:>26}" for n in names))
    for count in counts:
        cells = []
        for name in names:
            value = medians[(count, name)]
            growth = value - medians[(counts[0], name)]
            cells.append(f"{value:8.1f} ({growth:+6.1f})".rjust(26))
        print(f"{count:>8} | " + " | ".join(cells))
    top = counts[-1]
    print(
        f"\n{top} plugins add {medians[(top, 'stack list')] - medians[(counts[0], 'stack list')]:+.1f} ms to stack list "
        f"(target <= 20) and {medians[(top, 'flavor list (cache warm)')] - medians[(counts[0], 'flavor list (cache warm)')]:+.1f} ms "
        "to flavor list with the cache warm (target <= 50)."
    )


if __name__ == "__main__":
    sys.exit(main())
