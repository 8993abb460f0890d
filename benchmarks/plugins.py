"""Benchmark what the heavy flavor packages cost: install size and import time.

Run: ``.venv/bin/python benchmarks/plugins.py`` (``--runs N``, ``--markdown``)
in a venv where the packages are installed (``pip install -e
'./plugins/stackyard-mlflow[test]' ...``).

For each flavor package of ``plugins/`` (``PACKAGES``):

- **install size**: the bytes on disk of the package and of every
  distribution it pulls in that the base install (``stackyard``: core, CLI,
  local flavors) does not already need, from each distribution's ``RECORD``;
- **import time** of its heavy library (``import mlflow``, ``import apprise``
  plus loading its service plugins, ``import feast``), the median of fresh
  processes, and its ratio to ``python -c pass``;
- the import time of the package's hook module (``import stackyard_x.plugin``),
  which is all that ``stackyard plugin list`` and ``--help`` pay: it must stay
  near ``python -c pass`` (the tests check that it imports no heavy library).

Bytecode caching is allowed (``PYTHONDONTWRITEBYTECODE`` removed, the cache in a
temporary ``PYTHONPYCACHEPREFIX``) and warmed up first, as for anyone who
installed with pip.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

BASE = "stackyard"
PACKAGES = {
    # package: (the distribution whose version is shown, the import a run pays)
    "stackyard-dask": ("distributed", "import distributed"),
    "stackyard-s3": ("s3fs", "import s3fs"),
    "stackyard-sql": ("sqlalchemy", "import sqlalchemy, alembic.command"),
    "stackyard-mlflow": ("mlflow-skinny", "import mlflow"),
    "stackyard-apprise": ("apprise", "import apprise; apprise.Apprise().add('json://127.0.0.1/x')"),
    "stackyard-feast": ("feast", "import feast"),
    "stackyard-serve": ("uvicorn", "import starlette.applications, uvicorn"),
    "stackyard-dashboard": ("uvicorn", "import starlette.applications, uvicorn"),
}


def _name(requirement: str) -> str | None:
    """The distribution a requirement names, or ``None`` when its marker excludes it (extras, other platforms)."""
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        return None
    return _normal(req.name)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str) -> set[str]:
    """``root`` and every installed distribution it requires, transitively (extras left out)."""
    seen: set[str] = set()
    todo = [_normal(root)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        todo.extend(n for n in (_name(r) for r in dist.requires or []) if n)
    return seen


def size_of(name: str) -> int:
    """Bytes on disk of an installed distribution's files (an editable install: its own sources)."""
    dist = metadata.distribution(name)
    total = 0
    for file in dist.files or []:
        path = dist.locate_file(file)
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def timed(code: str, runs: int, env: dict[str, str]) -> float:
    """Median wall time of ``python -c code`` in fresh processes (one warm-up first)."""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print a table for docs/benchmarks.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        base = closure(BASE)
        floor = timed("pass", args.runs, env)
        rows = []
        for package, (library, code) in PACKAGES.items():
            try:
                metadata.distribution(package)
            except metadata.PackageNotFoundError:
                print(f"{package}: not installed, skipped (pip install -e ./plugins/{package})", file=sys.stderr)
                continue
            new = closure(package) - base
            size = sum(size_of(name) for name in new)
            heavy = timed(code, args.runs, env)
            hooks = timed(f"import {package.replace('-', '_')}.plugin", args.runs, env)
            version = metadata.version(library)
            rows.append((package, f"{library} {version}", len(new), size, heavy, heavy / floor, hooks, hooks / floor))

    if args.markdown:
        print(f"`python -c pass`: {floor * 1000:.0f} ms (median of {args.runs})\n")
        print("| package | heavy library | new distributions | install size | heavy import | ratio | `import …plugin` | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for p, lib, n, size, heavy, hr, hooks, kr in rows:
            print(f"| {p} | {lib} | {n} | {size / 1e6:.0f} MB | {heavy * 1000:.0f} ms | {hr:.1f}x | {hooks * 1000:.0f} ms | {kr:.1f}x |")
    else:
        print(f"python -c pass: {floor * 1000:.0f} ms")
        for p, lib, n, size, heavy, hr, hooks, kr in rows:
            print(f"{p:18} {lib:22} {n:3} new distributions {size / 1e6:6.0f} MB   "
                  f"import {heavy * 1000:6.0f} ms ({hr:5.1f}x pass)   plugin module {hooks * 1000:4.0f} ms ({kr:.1f}x pass)")


if __name__ == "__main__":
    main()
