"""The SQLite metadata store: a real WAL database, versioned schema, safe for parallel writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from stackyard import pipeline, step
from stackyard.exceptions import MetadataStoreError
from stackyard.stack.stack import Stack
from stackyard_local import SQLiteMetadataStore
from stackyard_local import metadata_store as module


@step
def numbers() -> list:
    return [1, 2, 3]


@step
def total(values: list) -> int:
    return sum(values)


@pipeline
def summing():
    total(numbers())


def test_a_run_is_recorded_in_full(stack: Stack) -> None:
    run = summing().run(run_name="full")
    store = stack.metadata_store
    record = store.get_run("full")
    assert record["pipeline_name"] == "summing" and record["status"] == "completed"
    assert record["started"] <= record["ended"]
    steps = store.get_steps(run.id)
    assert [s["name"] for s in steps] == ["numbers", "total"]
    assert all(len(s["cache_key"]) == 64 for s in steps)
    produced = store.get_artifacts(steps[0]["id"])
    consumed = store.get_artifacts(steps[1]["id"])
    assert [(a["name"], a["direction"]) for a in produced] == [("output", "output")]
    assert [(a["name"], a["direction"]) for a in consumed] == [("values", "input"), ("output", "output")]
    artifact = produced[0]
    assert consumed[0]["id"] == artifact["id"]  # the edge: total read what numbers wrote
    assert artifact["producer_step_id"] == steps[0]["id"]
    assert artifact["data_type"] == "builtins.list"
    assert artifact["size"] == len(b"[1, 2, 3]") and len(artifact["content_hash"]) == 64
    assert Path(artifact["uri"]).is_dir()


def test_the_database_is_a_wal_file_with_a_schema_version(stack: Stack) -> None:
    summing().run()
    store = stack.metadata_store
    assert store.schema_version == module.SCHEMA_VERSION
    conn = sqlite3.connect(store.uri)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_older_databases_are_migrated_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = str(tmp_path / "old.db")
    old = SQLiteMetadataStore(name="old", uri=uri)
    run_id = old.create_run("p", "r1", stack={}, runtime_configuration={}, parameters={})
    old.close()
    following = module.SCHEMA_VERSION + 1
    monkeypatch.setitem(module._MIGRATIONS, following, "ALTER TABLE runs ADD COLUMN note TEXT DEFAULT 'migrated'")
    monkeypatch.setattr(module, "SCHEMA_VERSION", following)
    new = SQLiteMetadataStore(name="new", uri=uri)
    assert new.schema_version == following
    assert new.get_run(run_id)["note"] == "migrated"


def test_a_newer_database_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    uri = tmp_path / "future.db"
    conn = sqlite3.connect(uri)
    conn.execute(f"PRAGMA application_id = {module.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(MetadataStoreError, match="schema version 99.*upgrade stackyard-local"):
        SQLiteMetadataStore(name="x", uri=str(uri)).get_runs()


def test_a_damaged_database_names_the_file(tmp_path: Path) -> None:
    uri = tmp_path / "damaged.db"
    uri.write_bytes(b"this is not a database" * 100)
    with pytest.raises(MetadataStoreError, match="damaged.db cannot be opened"):
        SQLiteMetadataStore(name="x", uri=str(uri)).get_runs()


def _write_runs(uri: str, prefix: str, count: int) -> None:
    store = SQLiteMetadataStore(name="writer", uri=uri)
    for i in range(count):
        run_id = store.create_run("p", f"{prefix}-{i}", stack={}, runtime_configuration={}, parameters={})
        step_id = store.start_step(run_id, "s", parameters={}, cache_key="k", inputs={})
        store.finish_step(step_id, "completed", outputs={"output": {"uri": f"/x/{prefix}/{i}"}})
        store.finish_run(run_id, "completed")


def test_processes_write_at_the_same_time(tmp_path: Path) -> None:
    uri = str(tmp_path / "shared.db")
    SQLiteMetadataStore(name="init", uri=uri).get_runs()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_runs, args=(uri, f"w{n}", 40)) for n in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [w.exitcode for w in writers] == [0, 0, 0]
    store = SQLiteMetadataStore(name="reader", uri=uri)
    runs = store.get_runs()
    assert len(runs) == 120 and {r["status"] for r in runs} == {"completed"}
    assert len(store.find_cached_steps("k", limit=500)) == 120


def test_a_failed_run_fails_its_unfinished_steps(tmp_path: Path) -> None:
    store = SQLiteMetadataStore(name="s", uri=str(tmp_path / "m.db"))
    run_id = store.create_run("p", "r", stack={}, runtime_configuration={}, parameters={})
    store.start_step(run_id, "stuck", parameters={}, cache_key=None, inputs={})
    store.finish_run(run_id, "failed", error="killed")
    step = store.get_step(run_id, "stuck")
    assert step["status"] == "failed" and "stopped before" in step["error"]
