"""Move a stack's run history from SQLite to PostgreSQL: run, copy, switch, run again (from cache), list runs.

    python plugins/stackyard-sql/examples/postgres_demo.py

Everything happens in a temporary config directory; the server is stopped and deleted at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from stackyard_sql.throwaway import PASSWORD, PASSWORD_USER, ThrowawayPostgres


def stackyard(*args: str) -> None:
    print("$ stackyard " + " ".join(args))
    subprocess.run([sys.executable, "-m", "stackyard_cli", *args], check=True)


with tempfile.TemporaryDirectory() as tmp, ThrowawayPostgres.start() as server:
    os.environ["STACKYARD_CONFIG_PATH"] = str(Path(tmp) / "config")
    server.sql("CREATE DATABASE demo")
    stackyard("secrets-manager", "register", "vault", "--flavor=local", f"--path={Path(tmp) / 'secrets.json'}")
    stackyard("stack", "update", "default", "-x", "vault")
    stackyard("secret", "register", "db", f"--password={PASSWORD}")
    stackyard("metadata-store", "register", "pg", "--flavor=sql",
              f"--url={server.url('demo', user=PASSWORD_USER)}", "--password={{db.password}}")

    from stackyard import pipeline, step

    @step
    def numbers() -> list[int]:
        return [1, 2, 3]

    @step
    def total(values: list[int]) -> int:
        return sum(values)

    @pipeline
    def summing():
        total(numbers())

    summing().run(run_name="on-sqlite")  # recorded by the default stack's SQLite store
    stackyard("metadata-store", "copy", "default", "pg")  # the history moves along
    stackyard("metadata-store", "copy", "default", "pg")  # again: nothing is copied twice
    stackyard("stack", "update", "default", "-m", "pg")
    summing().run(run_name="on-postgres")  # served from cache: the copied history knows the steps
    stackyard("pipeline", "runs", "--limit", "5")
