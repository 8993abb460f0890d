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


# -- a database file this store did not make is never re-initialised -----------------------

V1_SCHEMA = module._MIGRATIONS[1]


def test_an_empty_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    uri = tmp_path / "db" / "metadata.db"
    uri.parent.mkdir()
    uri.touch()
    with pytest.raises(MetadataStoreError) as caught:
        SQLiteMetadataStore(name="x", uri=str(uri)).get_runs()
    message = str(caught.value)
    assert str(uri) in message and "empty file" in message and "delete it" in message and "uri" in message
    assert uri.stat().st_size == 0 and sorted(p.name for p in uri.parent.iterdir()) == ["metadata.db"]


@pytest.mark.parametrize("content", ["CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')", ""])
def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path, content: str) -> None:
    uri = tmp_path / "theirs.db"
    conn = sqlite3.connect(uri)
    conn.executescript(content or "PRAGMA user_version = 0; CREATE TABLE t (x); DROP TABLE t")
    conn.close()
    before = uri.read_bytes()
    with pytest.raises(MetadataStoreError, match=r"theirs\.db is (a SQLite database of another program|an empty SQLite database).*delete it.*uri"):
        SQLiteMetadataStore(name="x", uri=str(uri)).get_runs()
    assert uri.read_bytes() == before


def test_a_missing_file_is_created_with_the_marker_and_reopens(tmp_path: Path) -> None:
    uri = tmp_path / "new" / "metadata.db"
    store = SQLiteMetadataStore(name="x", uri=str(uri))
    run_id = store.create_run("p", "r", stack={}, runtime_configuration={}, parameters={})
    store.close()
    assert sqlite3.connect(uri).execute("PRAGMA application_id").fetchone()[0] == module.APPLICATION_ID
    assert SQLiteMetadataStore(name="y", uri=str(uri)).get_run(run_id)["name"] == "r"
    assert sorted(p.name for p in uri.parent.iterdir() if p.name.endswith(".tmp")) == []


def _open_and_record(uri: str, name: str) -> None:
    SQLiteMetadataStore(name=name, uri=uri).create_run("p", name, stack={}, runtime_configuration={}, parameters={})


def test_processes_creating_one_database_at_once_all_use_it(tmp_path: Path) -> None:
    uri = str(tmp_path / "race" / "metadata.db")
    context = multiprocessing.get_context("spawn")
    openers = [context.Process(target=_open_and_record, args=(uri, f"p{n}")) for n in range(4)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(120)
    assert [o.exitcode for o in openers] == [0, 0, 0, 0]
    assert sorted(r["name"] for r in SQLiteMetadataStore(name="r", uri=uri).get_runs()) == ["p0", "p1", "p2", "p3"]


def test_a_version_1_database_keeps_its_runs_and_its_stuck_runs_read_as_crashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackyard.metadata_stores.liveness import GRACE_ENV, crash_reason

    uri = tmp_path / "v1.db"
    conn = sqlite3.connect(uri)  # what stackyard-local 0.1 made: schema 1, no marker, no heartbeats
    conn.executescript(V1_SCHEMA)
    conn.executescript(
        "PRAGMA user_version = 1;"
        "INSERT INTO pipelines VALUES ('p1', 'p', 1.0);"
        "INSERT INTO runs (id, pipeline_id, name, status, started, ended, stack, runtime_configuration)"
        " VALUES ('done', 'p1', 'finished', 'completed', 1.0, 2.0, '{}', '{}'),"
        " ('stuck', 'p1', 'killed-long-ago', 'running', 3.0, NULL, '{}', '{}');"
    )
    conn.close()
    store = SQLiteMetadataStore(name="x", uri=str(uri))
    assert store.schema_version == module.SCHEMA_VERSION
    assert store.get_run("done")["status"] == "completed" and store.get_run("done")["heartbeat"] is None
    stuck = store.get_run("stuck")
    assert (stuck["owner"], stuck["heartbeat"]) == (None, 3.0)  # its last sign of life: it started
    monkeypatch.setenv(GRACE_ENV, "60")
    assert "No heartbeat" in (crash_reason(stuck) or "")
    assert sqlite3.connect(uri).execute("PRAGMA application_id").fetchone()[0] == module.APPLICATION_ID


def test_the_cli_names_an_empty_database_file_in_one_line(isolated: Path) -> None:
    import os
    import subprocess
    import sys

    from stackyard import Repository

    stackyard = str(Path(sys.executable).with_name("stackyard"))
    uri = Path(Repository().active_stack.metadata_store.uri)
    uri.parent.mkdir(parents=True, exist_ok=True)
    uri.write_bytes(b"")
    result = subprocess.run(
        [stackyard, "pipeline", "runs"], env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    errors = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(uri) in errors[0] and "empty file" in errors[0]
    assert uri.read_bytes() == b""


def test_cached_outputs_in_one_query_match_the_two_query_default(tmp_path: Path) -> None:
    """SQLite's one JOIN gives what find_cached_steps + get_artifacts give, newest candidate first."""
    from stackyard.metadata_stores import BaseMetadataStore

    store = SQLiteMetadataStore(name="m", uri=str(tmp_path / "metadata.db"))
    run = store.create_run("p", "r", stack={}, runtime_configuration={}, parameters={})

    def completed(name: str, key: str, outputs: dict[str, str]) -> str:
        step_id = store.start_step(run, name, parameters={}, cache_key=key, inputs={})
        records = {o: {"uri": f"{tmp_path}/{name}/{o}", "data_type": "builtins.int", "extra": {"n": i}}
                   for i, o in enumerate(outputs)}
        store.finish_step(step_id, "completed", outputs=records)
        return step_id

    completed("a", "k", {"x": "", "y": ""})
    newest = completed("b", "k", {"y": "", "x": ""})
    completed("none", "empty", {})
    failed = store.start_step(run, "c", parameters={}, cache_key="k", inputs={})
    store.finish_step(failed, "failed", error="boom")
    for key in ("k", "empty", "missing"):
        joined = list(store.find_cached_outputs(key))
        default = list(BaseMetadataStore.find_cached_outputs(store, key))
        assert joined == default
    assert [step_id for step_id, _ in store.find_cached_outputs("k")][0] == newest
    assert list(store.find_cached_outputs("empty")) == [(store.get_step(run, "none")["id"], {})]  # type: ignore[index]
