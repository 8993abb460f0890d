"""Many processes, each running pipelines with parallel steps, into one store (PostgreSQL, a SQLite file) at once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from stackyard_sql.metadata_store import SQLMetadataStore

PROCESSES = 4
RUNS_EACH = 3
SCRIPT = Path(__file__).with_name("concurrent_runs.py")


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_concurrent_runs_with_parallel_steps_are_each_recorded_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.db'}"
    artifacts = tmp_path / "artifacts"
    workers = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), url, str(artifacts), f"proc{p}", str(RUNS_EACH)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for p in range(PROCESSES)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    results = [(w.returncode, *o) for w, o in zip(workers, outputs)]
    for code, out, err in results:
        assert code == 0 and out.strip() == "done", err[-3000:]
        assert "locked" not in err and "serializ" not in err.lower() and "deadlock" not in err.lower()

    store = SQLMetadataStore(name="check", url=url)
    runs = store.get_runs()
    expected = {f"proc{p}-{i}" for p in range(PROCESSES) for i in range(RUNS_EACH)}
    assert sorted(r["name"] for r in runs) == sorted(expected)  # each run exactly once
    assert {r["status"] for r in runs} <= {"completed", "cached"}  # a run whose steps all hit the cache is "cached"
    assert {p["name"] for p in store.get_pipelines()} == {"wide", "diamond"}  # one record per pipeline
    for run in runs:
        steps = store.get_steps(run["id"])
        names = Counter(s["name"] for s in steps)
        wanted = 5 if run["pipeline_name"] == "wide" else 4
        assert len(names) == wanted and set(names.values()) == {1}, (run["name"], names)
        assert all(s["status"] in ("completed", "cached") for s in steps)
        for step in steps:
            outputs = [a for a in store.get_artifacts(step["id"]) if a["direction"] == "output"]
            assert len(outputs) == 1, (run["name"], step["name"], outputs)
