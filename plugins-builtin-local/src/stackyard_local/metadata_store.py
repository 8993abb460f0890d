"""A metadata store in a SQLite database file."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid as uuidlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from stackyard.metadata_stores import BaseMetadataStore

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE pipelines (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created REAL NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL REFERENCES pipelines(id),
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        started REAL NOT NULL,
        ended REAL,
        stack TEXT NOT NULL,
        runtime_configuration TEXT NOT NULL
    );
    CREATE TABLE steps (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        started REAL,
        ended REAL,
        parameters TEXT NOT NULL DEFAULT '{}',
        cache_key TEXT,
        error TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        UNIQUE (run_id, name)
    );
    CREATE TABLE artifacts (
        id TEXT PRIMARY KEY,
        step_id TEXT NOT NULL REFERENCES steps(id),
        name TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        uri TEXT NOT NULL,
        data_type TEXT,
        materializer TEXT,
        size INTEGER,
        content_hash TEXT,
        producer_step_id TEXT,
        extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX runs_by_pipeline ON runs(pipeline_id, started);
    CREATE INDEX steps_by_run ON steps(run_id);
    CREATE INDEX artifacts_by_step ON artifacts(step_id);
    CREATE INDEX steps_by_cache_key ON steps(cache_key);
    """,
}

_STEP_COLUMNS = ("name", "status", "started", "ended", "parameters", "cache_key", "error", "extra")
_ARTIFACT_COLUMNS = (
    "name", "direction", "uri", "data_type", "materializer", "size", "content_hash", "producer_step_id", "extra",
)
_JSON_COLUMNS = {"parameters", "extra", "stack", "runtime_configuration"}


class SQLiteMetadataStore(BaseMetadataStore):
    """Records pipelines, runs, steps and artifacts in a SQLite file (WAL mode)."""

    FLAVOR: ClassVar[str] = "sqlite"

    uri: str
    _local: Any = None

    @classmethod
    def create_default(cls, name: str, local_stores_path: str) -> SQLiteMetadataStore:
        """A database in its own folder under the global config directory."""
        uuid = uuidlib.uuid4()
        return cls(name=name, uuid=uuid, uri=str(Path(local_stores_path) / str(uuid) / "metadata.db"))

    # -- connection -------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._local is None:
            self._local = threading.local()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.uri, timeout=60, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn)
            self._local.conn = conn
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"The metadata database {self.uri} has schema version {version}, newer than "
                f"this stackyard-local understands ({SCHEMA_VERSION}); upgrade stackyard-local."
            )
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None) if self._local else None
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ------------------------------------------------------------

    def create_run(
        self,
        pipeline_name: str,
        run_name: str,
        *,
        stack: Mapping[str, Any],
        runtime_configuration: Mapping[str, Any],
    ) -> str:
        conn = self._connection()
        run_id = uuidlib.uuid4().hex
        now = time.time()
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR IGNORE INTO pipelines (id, name, created) VALUES (?, ?, ?)",
                (uuidlib.uuid4().hex, pipeline_name, now),
            )
            pipeline_id = conn.execute("SELECT id FROM pipelines WHERE name = ?", (pipeline_name,)).fetchone()[0]
            conn.execute(
                "INSERT INTO runs (id, pipeline_id, name, status, started, stack, runtime_configuration)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (run_id, pipeline_id, run_name, now, _dump(stack), _dump(runtime_configuration)),
            )
        return run_id

    def finish_run(self, run_id: str, status: str) -> None:
        conn = self._connection()
        with conn:
            conn.execute("UPDATE runs SET status = ?, ended = ? WHERE id = ?", (str(status), time.time(), run_id))

    def record_step(self, run_id: str, step: Mapping[str, Any]) -> str:
        conn = self._connection()
        values = {k: _encode(k, step[k]) for k in _STEP_COLUMNS if k in step}
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT id FROM steps WHERE run_id = ? AND name = ?", (run_id, step["name"])).fetchone()
            if row is None:
                step_id = step.get("id") or uuidlib.uuid4().hex
                columns = ["id", "run_id", *values]
                conn.execute(
                    f"INSERT INTO steps ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    (step_id, run_id, *values.values()),
                )
            else:
                step_id = row[0]
                assignments = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE steps SET {assignments} WHERE id = ?", (*values.values(), step_id))
        return str(step_id)

    def record_artifact(self, step_id: str, artifact: Mapping[str, Any]) -> str:
        conn = self._connection()
        artifact_id = artifact.get("id") or uuidlib.uuid4().hex
        values = {k: _encode(k, artifact[k]) for k in _ARTIFACT_COLUMNS if k in artifact}
        columns = ["id", "step_id", *values]
        with conn:
            conn.execute(
                f"INSERT INTO artifacts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                (artifact_id, step_id, *values.values()),
            )
        return str(artifact_id)

    # -- reading -------------------------------------------------------------

    def get_pipelines(self) -> list[dict[str, Any]]:
        rows = self._connection().execute("SELECT * FROM pipelines ORDER BY created, name").fetchall()
        return [_row(r) for r in rows]

    def get_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT runs.*, pipelines.name AS pipeline_name FROM runs JOIN pipelines ON pipelines.id = runs.pipeline_id"
        args: tuple[Any, ...] = ()
        if pipeline_name is not None:
            query += " WHERE pipelines.name = ?"
            args = (pipeline_name,)
        rows = self._connection().execute(query + " ORDER BY runs.started, runs.rowid", args).fetchall()
        return [_row(r) for r in rows]

    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        row = self._connection().execute(
            "SELECT runs.*, pipelines.name AS pipeline_name FROM runs JOIN pipelines ON pipelines.id = runs.pipeline_id"
            " WHERE runs.id = ? OR runs.name = ?",
            (name_or_id, name_or_id),
        ).fetchone()
        return _row(row) if row else None

    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT * FROM steps WHERE run_id = ? ORDER BY started IS NULL, started, rowid", (run_id,)
        ).fetchall()
        return [_row(r) for r in rows]

    def get_artifacts(self, step_id: str) -> list[dict[str, Any]]:
        rows = self._connection().execute(
            "SELECT * FROM artifacts WHERE step_id = ? ORDER BY rowid", (step_id,)
        ).fetchall()
        return [_row(r) for r in rows]


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _encode(column: str, value: Any) -> Any:
    return _dump(value) if column in _JSON_COLUMNS else value


def _row(row: sqlite3.Row) -> dict[str, Any]:
    result = dict(row)
    for key in _JSON_COLUMNS & result.keys():
        if isinstance(result[key], str):
            result[key] = json.loads(result[key])
    return result
