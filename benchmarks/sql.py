"""Benchmark ``stackyard pipeline runs`` (newest 50 of 10,000 runs) on PostgreSQL and on SQLite.

Run: ``.venv/bin/python benchmarks/sql.py`` (``--runs N`` runs to store, ``--repeat R`` timings; needs
``pip install -e 'plugins/stackyard-sql[test]'``).

Setup inserts the runs in bulk, straight into the tables (one executemany each), into: the ``sql``
flavor on a throwaway PostgreSQL on 127.0.0.1, the ``sql`` flavor on a SQLite file, and the built-in
``sqlite`` flavor. Then it times the whole command ``stackyard pipeline runs`` (a new process, bytecode
cache allowed and warmed up, as after a pip install) with each as the default stack's metadata store,
against ``python -c pass``. Goal (issue 12): at most 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cli_runs import environment, stackyard

GOAL_SECONDS = 0.300


def _rows(count: int, pipeline_id: str) -> list[dict[str, object]]:
    now = time.time() - count
    stack = json.dumps({"name": "default", "components": {}})
    return [
        {"id": uuid.uuid4().hex, "pipeline_id": pipeline_id, "name": f"run-{i:05d}", "status": "completed",
         "started": now + i, "ended": now + i + 0.5, "stack": stack, "runtime_configuration": "{}",
         "parameters": json.dumps({"n": i}), "error": None, "owner": None, "heartbeat": now + i}
        for i in range(count)
    ]


def fill_sql(url: str, count: int) -> None:
    from sqlalchemy import create_engine

    from stackyard_sql.metadata_store import SQLMetadataStore
    from stackyard_sql.schema import pipelines, runs

    SQLMetadataStore(name="bench", url=url).get_runs()  # migrate
    engine = create_engine(url)
    pipeline_id = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(pipelines.insert().values(id=pipeline_id, name="bench", created=time.time() - count))
        conn.execute(runs.insert(), _rows(count, pipeline_id))
    engine.dispose()


def fill_sqlite_flavor(path: Path, count: int) -> None:
    from stackyard_local.metadata_store import SQLiteMetadataStore

    SQLiteMetadataStore(name="bench", uri=str(path)).get_runs()  # create and migrate
    pipeline_id = uuid.uuid4().hex
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO pipelines (id, name, created) VALUES (?, 'bench', ?)", (pipeline_id, time.time() - count))
        conn.executemany(
            "INSERT INTO runs (id, pipeline_id, name, status, started, ended, stack, runtime_configuration, parameters,"
            " error, owner, heartbeat) VALUES (:id, :pipeline_id, :name, :status, :started, :ended, :stack,"
            " :runtime_configuration, :parameters, :error, :owner, :heartbeat)",
            _rows(count, pipeline_id),
        )


def timed(command: list[str], env: dict[str, str], repeat: int) -> float:
    subprocess.run(command, env=env, check=True, capture_output=True)  # warm the bytecode cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stdout + done.stderr)
    return statistics.median(times)


def configure(folder: Path, flavor: str, parameter: str) -> Path:
    config = folder / f"config-{flavor}-{uuid.uuid4().hex[:6]}"
    env = environment(config)
    subprocess.run([*stackyard(), "metadata-store", "register", "bench", f"--flavor={flavor}", parameter],
                   env=env, check=True, capture_output=True)
    subprocess.run([*stackyard(), "stack", "update", "default", "-m", "bench"], env=env, check=True, capture_output=True)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from stackyard_sql.throwaway import ThrowawayPostgres

    with tempfile.TemporaryDirectory() as tmp, ThrowawayPostgres.start() as server:
        folder = Path(tmp)
        os.environ["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")  # bytecode kept out of the checkout
        pg_url = server.create_database("bench")
        fill_sql(pg_url, args.runs)
        lite_url = f"sqlite:///{folder / 'sql-flavor.db'}"
        fill_sql(lite_url, args.runs)
        fill_sqlite_flavor(folder / "sqlite-flavor.db", args.runs)
        cases = {
            f"sql on PostgreSQL ({server.source})": configure(folder, "sql", f"--url={pg_url}"),
            "sql on SQLite": configure(folder, "sql", f"--url={lite_url}"),
            "sqlite (built-in)": configure(folder, "sqlite", f"--uri={folder / 'sqlite-flavor.db'}"),
        }
        base = timed([sys.executable, "-c", "pass"], environment(folder / "none"), args.repeat)
        floor = timed([*stackyard(), "stack", "list"], environment(cases["sqlite (built-in)"]), args.repeat)
        print(f"{args.runs} runs stored; `stackyard pipeline runs` (newest 50), median of {args.repeat}:")
        print(f"| store | time | vs `python -c pass` | vs `stackyard stack list` | goal ≤ {GOAL_SECONDS * 1000:.0f} ms |")
        print("|---|---|---|---|---|")
        print(f"| (`stackyard stack list`, the floor of any command) | {floor * 1000:.0f} ms | {floor / base:.1f}× | 1.0× | |")
        for label, config in cases.items():
            seconds = timed([*stackyard(), "pipeline", "runs"], environment(config), args.repeat)
            verdict = "met" if seconds <= GOAL_SECONDS else "missed"
            print(f"| {label} | {seconds * 1000:.0f} ms | {seconds / base:.1f}× | {seconds / floor:.2f}× | {verdict} |")


if __name__ == "__main__":
    main()
