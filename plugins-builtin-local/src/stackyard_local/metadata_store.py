"""A metadata store in a SQLite database file.

WAL mode lets readers work while a step writes, and every write is one
``BEGIN IMMEDIATE`` transaction, so steps running in parallel processes can
record at the same time (each process and thread has its own connection).
The schema version is SQLite's ``user_version``; opening a database runs the
migrations it is missing, in order, in one transaction.

A database this store made carries :data:`APPLICATION_ID` (SQLite's
``application_id``; databases from before version 2 are known by their
tables). A new database is built in a temporary file and linked into place,
so no process ever sees it half made; an existing file that is empty or is
another program's database is refused, never re-initialised.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid as uuidlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import attrs

from stackyard.exceptions import MetadataStoreError, RunExistsError
from stackyard.metadata_stores import BaseMetadataStore

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
        runtime_configuration TEXT NOT NULL,
        parameters TEXT NOT NULL DEFAULT '{}',
        error TEXT
    );
    CREATE TABLE steps (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        started REAL,
        ended REAL,
        parameters TEXT NOT NULL DEFAULT '{}',
        upstream TEXT NOT NULL DEFAULT '[]',
        cache_key TEXT,
        cached_from TEXT,
        error TEXT,
        UNIQUE (run_id, name)
    );
    CREATE TABLE artifacts (
        id TEXT PRIMARY KEY,
        uri TEXT NOT NULL,
        data_type TEXT,
        materializer TEXT,
        producer_step_id TEXT REFERENCES steps(id),
        size INTEGER,
        content_hash TEXT,
        created REAL NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE step_artifacts (
        step_id TEXT NOT NULL REFERENCES steps(id),
        artifact_id TEXT NOT NULL REFERENCES artifacts(id),
        name TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
        PRIMARY KEY (step_id, direction, name)
    );
    CREATE INDEX runs_by_pipeline ON runs(pipeline_id, started);
    CREATE INDEX steps_by_cache_key ON steps(cache_key, status, ended);
    CREATE INDEX step_artifacts_by_artifact ON step_artifacts(artifact_id);
    """,
    # liveness: who runs a run, and when it last said so (old runs still running: since they started)
    2: """
    ALTER TABLE runs ADD COLUMN owner TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat REAL;
    UPDATE runs SET heartbeat = started WHERE status = 'running';
    CREATE INDEX runs_by_status ON runs(status);
    """,
    # metadata components and steps attach to a run ('' as step_id) or a step; tries of retried steps; where step logs are
    3: """
    CREATE TABLE metadata (
        run_id TEXT NOT NULL REFERENCES runs(id),
        step_id TEXT NOT NULL DEFAULT '',
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, step_id, key)
    );
    ALTER TABLE steps ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE steps ADD COLUMN logs_uri TEXT;
    """,
}
APPLICATION_ID = 0x53594D44
"""SQLite ``application_id`` of a Stackyard metadata database ("SYMD")."""
_TABLES = frozenset({"pipelines", "runs", "steps", "artifacts", "step_artifacts"})
SCHEMA_VERSION = max(_MIGRATIONS)

_JSON_COLUMNS = frozenset({"parameters", "upstream", "extra", "stack", "runtime_configuration", "owner"})
_RUN_SELECT = (
    "SELECT runs.*, pipelines.name AS pipeline_name FROM runs JOIN pipelines ON pipelines.id = runs.pipeline_id"
)


class SQLiteMetadataStore(BaseMetadataStore):
    """Records pipelines, runs, steps and artifacts in a SQLite file (WAL mode)."""

    FLAVOR: ClassVar[str] = "sqlite"
    IS_LOCAL: ClassVar[bool] = True  # on this machine's disk: remote workers cannot reach it

    uri: str = attrs.field(metadata={"doc": "path of the SQLite database file (created on first use)"})
    _local: Any = None

    @classmethod
    def create_default(cls, name: str, local_stores_path: str) -> SQLiteMetadataStore:
        """A database in its own folder under the global config directory."""
        uuid = uuidlib.uuid4()
        return cls(name=name, uuid=uuid, uri=str(Path(local_stores_path) / str(uuid) / "metadata.db"))

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = None

    # -- connection -------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._local is None:
            self._local = threading.local()
        pid, conn = getattr(self._local, "conn", (None, None))
        if conn is None or pid != os.getpid():  # a forked child never uses its parent's connection
            conn = self._connect()
            self._local.conn = (os.getpid(), conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        path = Path(self.uri)
        try:
            if not path.exists():
                self._create(path)
            elif _is_empty(path):
                raise MetadataStoreError(
                    f"The metadata database {self.uri} is an empty file, not a database this metadata store "
                    f"made; delete it to start a new (empty) run history there, or set the metadata store's "
                    f"uri to another file."
                )
            conn = self._open(path)
            self._check_marker(conn)  # before anything is written: another program's file stays as it was
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise MetadataStoreError(
                f"The metadata database {self.uri} cannot be opened ({exc}); move it away to start a new one, "
                "or set the metadata store's uri to another file."
            ) from None
        return conn

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        """A connection to the existing database ``path`` (never creating it)."""
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=60, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        return conn

    def _create(self, path: Path) -> None:
        """Make a new database at ``path`` whole: built aside, then linked in unless another process was first."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuidlib.uuid4().hex}.tmp")
        try:
            conn = sqlite3.connect(str(temporary), isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._migrate(conn)
            finally:
                conn.close()
            try:
                os.link(temporary, path)  # fails if the file exists: never replaces another process's database
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                from stackyard.files import locked

                with locked(path.parent):
                    if not path.exists():
                        os.replace(temporary, path)
        finally:
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                leftover.unlink(missing_ok=True)

    def _check_marker(self, conn: sqlite3.Connection) -> None:
        """Refuse a SQLite database this store did not make (no marker, and not our tables from before it)."""
        if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            return
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if conn.execute("PRAGMA user_version").fetchone()[0] >= 1 and _TABLES <= tables:
            return  # made by this store before it wrote a marker; the next migration adds it
        conn.close()
        what = "an empty SQLite database"
        if tables:
            what = f"a SQLite database of another program (tables: {', '.join(sorted(tables)[:5])})"
        raise MetadataStoreError(
            f"The metadata database {self.uri} is {what}, not one this metadata store made, so it is left "
            "untouched; delete it to start a new run history there, or set the metadata store's uri to another file."
        )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise MetadataStoreError(
                f"The metadata database {self.uri} has schema version {version}, newer than this "
                f"stackyard-local understands ({SCHEMA_VERSION}); upgrade stackyard-local."
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close this thread's connection."""
        pid, conn = getattr(self._local, "conn", (None, None)) if self._local else (None, None)
        if conn is not None and pid == os.getpid():
            conn.close()
        if self._local is not None:
            self._local.conn = (None, None)

    # -- writing runs ---------------------------------------------------------

    def create_run(
        self,
        pipeline_name: str,
        run_name: str,
        *,
        stack: Mapping[str, Any],
        runtime_configuration: Mapping[str, Any],
        parameters: Mapping[str, Any],
    ) -> str:
        run_id = uuidlib.uuid4().hex
        now = time.time()
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO pipelines (id, name, created) VALUES (?, ?, ?)",
                    (uuidlib.uuid4().hex, pipeline_name, now),
                )
                pipeline_id = conn.execute("SELECT id FROM pipelines WHERE name = ?", (pipeline_name,)).fetchone()[0]
                conn.execute(
                    "INSERT INTO runs (id, pipeline_id, name, status, started, heartbeat, stack,"
                    " runtime_configuration, parameters) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                    (
                        run_id, pipeline_id, run_name, now, now, _dump(stack), _dump(runtime_configuration),
                        _dump(parameters),
                    ),
                )
        except sqlite3.IntegrityError:
            raise RunExistsError(f"A pipeline run named '{run_name}' already exists; choose another run_name.") from None
        return run_id

    def finish_run(self, run_id: str, status: str, *, error: str | None = None) -> None:
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, ended = ?, error = ? WHERE id = ?", (str(status), now, error, run_id)
            )
            if str(status) == "failed":
                conn.execute(
                    "UPDATE steps SET status = 'failed', ended = ?, error = COALESCE(error, ?)"
                    " WHERE run_id = ? AND status = 'running'",
                    (now, "The run stopped before this step finished.", run_id),
                )

    # -- liveness ------------------------------------------------------------------

    def heartbeat(self, run_id: str, *, owner: Mapping[str, Any] | None = None) -> None:
        with self._write() as conn:
            if owner is None:
                conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))
            else:
                conn.execute(
                    "UPDATE runs SET heartbeat = ?, owner = ? WHERE id = ?", (time.time(), _dump(owner), run_id)
                )

    def mark_crashed(self, run_id: str, reason: str) -> bool:
        now = time.time()
        with self._write() as conn:
            changed = conn.execute(
                "UPDATE runs SET status = 'crashed', ended = ?, error = ? WHERE id = ? AND status = 'running'",
                (now, reason, run_id),
            ).rowcount
            if changed:
                conn.execute(
                    "UPDATE steps SET status = 'crashed', ended = ?, error = COALESCE(error, ?)"
                    " WHERE run_id = ? AND status = 'running'",
                    (now, "The run's process ended before this step finished.", run_id),
                )
        return bool(changed)

    def get_unfinished_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        if pipeline_name is None:
            return self._query(_RUN_SELECT + " WHERE runs.status = 'running' ORDER BY runs.started, runs.rowid")
        return self._query(
            _RUN_SELECT + " WHERE runs.status = 'running' AND pipelines.name = ? ORDER BY runs.started, runs.rowid",
            (pipeline_name,),
        )

    # -- writing steps ----------------------------------------------------------

    def start_step(
        self,
        run_id: str,
        name: str,
        *,
        parameters: str | Mapping[str, Any],
        cache_key: str | None,
        inputs: Mapping[str, str],
        upstream: Sequence[str] = (),
    ) -> str:
        step_id = uuidlib.uuid4().hex
        with self._write() as conn:
            conn.execute(
                "INSERT INTO steps (id, run_id, name, status, started, parameters, upstream, cache_key)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                (step_id, run_id, name, time.time(), _json(parameters), _dump(list(upstream)), cache_key),
            )
            _link(conn, step_id, inputs, "input")
        return step_id

    def finish_step(
        self,
        step_id: str,
        status: str,
        *,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        error: str | None = None,
    ) -> dict[str, str]:
        now = time.time()
        ids: dict[str, str] = {}
        with self._write() as conn:
            for name, record in (outputs or {}).items():
                artifact_id = record.get("id") or uuidlib.uuid4().hex
                conn.execute(
                    "INSERT INTO artifacts (id, uri, data_type, materializer, producer_step_id, size,"
                    " content_hash, created, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        artifact_id, record["uri"], record.get("data_type"), record.get("materializer"), step_id,
                        record.get("size"), record.get("content_hash"), now, _dump(record.get("extra") or {}),
                    ),
                )
                ids[name] = artifact_id
            _link(conn, step_id, ids, "output")
            conn.execute(
                "UPDATE steps SET status = ?, ended = ?, error = ? WHERE id = ?", (str(status), now, error, step_id)
            )
        return ids

    def record_cached_step(
        self,
        run_id: str,
        name: str,
        *,
        parameters: str | Mapping[str, Any],
        cache_key: str,
        inputs: Mapping[str, str],
        outputs: Mapping[str, str],
        cached_from: str,
        upstream: Sequence[str] = (),
    ) -> str:
        step_id = uuidlib.uuid4().hex
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO steps (id, run_id, name, status, started, ended, parameters, upstream, cache_key,"
                " cached_from) VALUES (?, ?, ?, 'cached', ?, ?, ?, ?, ?, ?)",
                (step_id, run_id, name, now, now, _json(parameters), _dump(list(upstream)), cache_key, cached_from),
            )
            _link(conn, step_id, inputs, "input", outputs)  # one statement for both directions
        return step_id

    def record_attempt(self, step_id: str, attempt: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE steps SET attempts = ? WHERE id = ?", (attempt, step_id))

    def record_step_logs(self, step_id: str, uri: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE steps SET logs_uri = ? WHERE id = ?", (uri, step_id))

    # -- metadata ---------------------------------------------------------------

    def add_metadata(self, run_id: str, step_id: str | None, values: Mapping[str, Any]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO metadata (run_id, step_id, key, value) VALUES (?, ?, ?, ?)",
                [(run_id, step_id or "", str(key), _dump(value)) for key, value in values.items()],
            )

    def get_metadata(self, run_id: str, step_id: str | None = None) -> dict[str, Any]:
        rows = self._connection().execute(
            "SELECT key, value FROM metadata WHERE run_id = ? AND step_id = ? ORDER BY rowid", (run_id, step_id or "")
        )
        return {key: json.loads(value) for key, value in rows.fetchall()}

    # -- reading -------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return [_row(r) for r in self._connection().execute(sql, args).fetchall()]

    def get_pipelines(self) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM pipelines ORDER BY created, name")

    def get_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        if pipeline_name is None:
            return self._query(_RUN_SELECT + " ORDER BY runs.started, runs.rowid")
        return self._query(_RUN_SELECT + " WHERE pipelines.name = ? ORDER BY runs.started, runs.rowid", (pipeline_name,))

    def get_latest_runs(self, pipeline_name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        order = " ORDER BY runs.started DESC, runs.rowid DESC LIMIT ?"
        if pipeline_name is None:
            return self._query(_RUN_SELECT + order, (max(int(limit), 0),))
        return self._query(_RUN_SELECT + " WHERE pipelines.name = ?" + order, (pipeline_name, max(int(limit), 0)))

    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        rows = self._query(_RUN_SELECT + " WHERE runs.id = ? OR runs.name = ?", (name_or_id, name_or_id))
        return rows[0] if rows else None

    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM steps WHERE run_id = ? ORDER BY started, rowid", (run_id,))

    def get_step(self, run_id: str, name: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM steps WHERE run_id = ? AND name = ?", (run_id, name))
        return rows[0] if rows else None

    def get_artifacts(self, step_id: str) -> list[dict[str, Any]]:
        return self._query(
            "SELECT step_artifacts.name, step_artifacts.direction, artifacts.* FROM step_artifacts"
            " JOIN artifacts ON artifacts.id = step_artifacts.artifact_id WHERE step_artifacts.step_id = ?"
            " ORDER BY step_artifacts.direction, step_artifacts.rowid",
            (step_id,),
        )

    def find_cached_steps(self, cache_key: str, limit: int = 3) -> list[dict[str, Any]]:
        return self._query(
            "SELECT * FROM steps WHERE cache_key = ? AND status = 'completed' ORDER BY ended DESC, rowid DESC LIMIT ?",
            (cache_key, limit),
        )

    def find_cached_outputs(
        self, cache_key: str, limit: int = 3
    ) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """The candidates and their outputs in one query (newest first)."""
        rows = self._query(
            "SELECT candidates.step_id, step_artifacts.name, step_artifacts.direction, artifacts.*"
            " FROM (SELECT id AS step_id, ended, rowid AS seq FROM steps WHERE cache_key = ? AND status = 'completed'"
            " ORDER BY ended DESC, rowid DESC LIMIT ?) AS candidates"
            " LEFT JOIN step_artifacts ON step_artifacts.step_id = candidates.step_id"
            " AND step_artifacts.direction = 'output'"
            " LEFT JOIN artifacts ON artifacts.id = step_artifacts.artifact_id"
            " ORDER BY candidates.ended DESC, candidates.seq DESC, step_artifacts.rowid",
            (cache_key, limit),
        )
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for row in rows:
            outputs = found.setdefault(row.pop("step_id"), {})
            if row["name"] is not None:  # a step without outputs has one row of NULLs
                outputs[row["name"]] = row
        yield from found.items()


def _is_empty(path: Path) -> bool:
    """Whether the database file holds nothing (not even in its write-ahead log)."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size == 0 and (not wal.exists() or wal.stat().st_size == 0)


def _link(
    conn: sqlite3.Connection,
    step_id: str,
    artifacts: Mapping[str, str],
    direction: str,
    outputs: Mapping[str, str] | None = None,
) -> None:
    """Link a step to its artifacts in ``direction`` (and to ``outputs`` as outputs), in one statement."""
    rows = [(step_id, artifact_id, name, direction) for name, artifact_id in artifacts.items()]
    rows += [(step_id, artifact_id, name, "output") for name, artifact_id in (outputs or {}).items()]
    if rows:
        conn.executemany(
            "INSERT INTO step_artifacts (step_id, artifact_id, name, direction) VALUES (?, ?, ?, ?)", rows
        )


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _json(value: str | Mapping[str, Any]) -> str:
    return value if isinstance(value, str) else _dump(value)


_EMPTY_JSON: dict[str, Any] = {"{}": dict, "[]": list}


def _row(row: sqlite3.Row) -> dict[str, Any]:
    result = dict(row)
    for key in _JSON_COLUMNS.intersection(row.keys()):
        value = result[key]
        if isinstance(value, str):
            empty = _EMPTY_JSON.get(value)
            result[key] = empty() if empty is not None else json.loads(value)
    return result
