"""Run the reliability scenarios of tests/reliability at large counts and print the figures.

Run: ``.venv/bin/python benchmarks/reliability.py`` (``--scale N``: kills per
kind of operation and the like, default 100; ``--only runs|store|input``). Each area lives in its own module:

- ``reliability_runs.py``: kill -9 of pipeline runs with workers (crashed runs, orphan workers, cache);
- ``reliability_store.py``: kill -9 during multi-file writes and renames, concurrent CLI processes;
- ``reliability_input.py``: generated names and values through the CLI and the API, broken plugins.

Every area reports what it committed, how many processes it killed, and how
many states it found broken afterwards (the target is 0); docs/reliability.md
records the figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

AREAS = ("store", "runs", "input")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="the counts (default 100: ≥ 24 processes, ≥ 100 kills)")
    parser.add_argument("--only", choices=AREAS, action="append", help="run only these areas")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    broken = 0
    results = {}
    for area in args.only or AREAS:
        module = importlib.import_module(f"reliability_{area}")
        started = time.perf_counter()
        figures = module.run(args.scale)
        figures["seconds"] = round(time.perf_counter() - started, 1)
        results[area] = figures
        broken += int(figures["states_found_broken"])
        print(f"## {area}\n{json.dumps(figures, indent=2, default=str)}\n", flush=True)
    print(f"states found broken in all: {broken}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
