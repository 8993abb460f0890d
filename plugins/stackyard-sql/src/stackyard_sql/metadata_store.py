"""The ``sql`` metadata store: runs, steps and artifacts in PostgreSQL, MySQL or SQLite, through SQLAlchemy 2.

Each process keeps one pooled engine per database (:mod:`stackyard_sql.database`);
every method is one transaction, tried again while the database says to
(busy, deadlock, serialization failure), so parallel steps and concurrent
runs neither lose nor duplicate records. The schema is migrated with Alembic
on first use. SQLAlchemy is imported only when the store is used.
"""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import attrs

from stackyard import SecretField
from stackyard.exceptions import MetadataStoreError, RunExistsError
from stackyard.metadata_stores import BaseMetadataStore
from stackyard.secrets import find_references, reference_example

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

T = TypeVar("T")


def _check_url(_instance: Any, _attribute: Any, value: str) -> None:
    parts = urlsplit(value)
    if "://" not in value or not parts.scheme:
        raise ValueError(
            "url: give a SQLAlchemy database URL such as 'postgresql+psycopg://user@host:5432/db', "
            "'mysql+pymysql://user@host/db' or 'sqlite:////path/to/metadata.db'"
        )
    try:
        password = parts.password
    except ValueError:
        password = None
    if password and not find_references(password):
        raise ValueError(
            "url: holds a password in plain text; remove it from the url and give it as "
            f"--password='{reference_example('db', 'password')}' (a secret reference)"
        )
    if parts.scheme.split("+")[0] == "sqlite" and parts.path in ("", "/", "/:memory:"):
        raise ValueError("url: an in-memory SQLite database is not shared between processes; name a file: sqlite:////path/to/metadata.db")


class SQLMetadataStore(BaseMetadataStore):
    """Records pipelines, runs, steps and artifacts in a SQL database (PostgreSQL, MySQL, SQLite)."""

    FLAVOR: ClassVar[str] = "sql"

    url: str = attrs.field(
        validator=_check_url,
        metadata={"doc": "SQLAlchemy URL without password, e.g. postgresql+psycopg://user@host:5432/db"},
    )
    password: str | None = SecretField(default=None)
    """The database password, as a secret reference such as {{db.password}}."""

    # -- connection -------------------------------------------------------

    def _password(self) -> str | None:
        if self.password is not None and find_references(self.password):
            raise MetadataStoreError(
                f"The metadata store '{self.name}': its password {self.password} is a secret reference "
                "that was not resolved; use it in a stack whose secrets manager holds that secret."
            )
        return self.password

    def _url(self) -> URL:
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        password = self._password()
        return url if password is None else url.set(password=password)

    def _engine(self) -> tuple[Engine, URL]:
        from stackyard_sql.database import engine_for

        url = self._url()
        try:
            return engine_for(url), url
        except ModuleNotFoundError as exc:
            raise MetadataStoreError(
                f"The metadata store '{self.name}' needs the database driver '{exc.name}'; install it "
                "(pip install 'stackyard-sql[postgresql]' for psycopg, 'stackyard-sql[mysql]' for pymysql)."
            ) from None

    def _write(self, work: Callable[[Connection], T]) -> T:
        from stackyard_sql.database import run

        engine, url = self._engine()
        return run(engine, url, work, write=True)

    def _read(self, work: Callable[[Connection], T]) -> T:
        from stackyard_sql.database import run

        engine, url = self._engine()
        return run(engine, url, work, write=False)

    def _query(self, build: Callable[[], Any]) -> list[dict[str, Any]]:
        return self._read(lambda conn: [_row(r) for r in conn.execute(build()).mappings().all()])

    @property
    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        from stackyard_sql.database import current_revision

        return self._read(current_revision)

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
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from stackyard_sql.schema import pipelines, runs

        run_id = uuidlib.uuid4().hex
        now = time.time()

        def work(conn: Connection) -> None:
            _insert_ignore(conn, pipelines, {"id": uuidlib.uuid4().hex, "name": pipeline_name, "created": now})
            pipeline_id = conn.execute(select(pipelines.c.id).where(pipelines.c.name == pipeline_name)).scalar_one()
            conn.execute(runs.insert().values(
                id=run_id, pipeline_id=pipeline_id, name=run_name, status="running", started=now, heartbeat=now,
                stack=_dump(stack), runtime_configuration=_dump(runtime_configuration), parameters=_dump(parameters),
            ))

        try:
            self._write(work)
        except IntegrityError:
            raise RunExistsError(f"A pipeline run named '{run_name}' already exists; choose another run_name.") from None
        return run_id

    def finish_run(self, run_id: str, status: str, *, error: str | None = None) -> None:
        from stackyard_sql.schema import runs, steps

        now = time.time()

        def work(conn: Connection) -> None:
            conn.execute(runs.update().where(runs.c.id == run_id).values(status=str(status), ended=now, error=error))
            if str(status) == "failed":
                _stop_running_steps(conn, steps, run_id, "failed", now, "The run stopped before this step finished.")

        self._write(work)

    # -- liveness ------------------------------------------------------------------

    def heartbeat(self, run_id: str, *, owner: Mapping[str, Any] | None = None) -> None:
        from stackyard_sql.schema import runs

        values: dict[str, Any] = {"heartbeat": time.time()}
        if owner is not None:
            values["owner"] = _dump(owner)
        self._write(lambda conn: conn.execute(runs.update().where(runs.c.id == run_id).values(**values)))

    def mark_crashed(self, run_id: str, reason: str) -> bool:
        from stackyard_sql.schema import runs, steps

        now = time.time()

        def work(conn: Connection) -> bool:
            changed = conn.execute(
                runs.update().where(runs.c.id == run_id, runs.c.status == "running")
                .values(status="crashed", ended=now, error=reason)
            ).rowcount
            if changed:
                _stop_running_steps(conn, steps, run_id, "crashed", now, "The run's process ended before this step finished.")
            return bool(changed)

        return self._write(work)

    def get_unfinished_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        from stackyard_sql.schema import runs

        def build() -> Any:
            query = _run_select().where(runs.c.status == "running")
            return _of_pipeline(query, pipeline_name).order_by(runs.c.started, runs.c.seq)

        return self._query(build)

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
        from stackyard_sql.schema import steps

        step_id = uuidlib.uuid4().hex

        def work(conn: Connection) -> None:
            conn.execute(steps.insert().values(
                id=step_id, run_id=run_id, name=name, status="running", started=time.time(),
                parameters=_json(parameters), upstream=_dump(list(upstream)), cache_key=cache_key,
            ))
            _link(conn, step_id, inputs, "input")

        self._write(work)
        return step_id

    def finish_step(
        self,
        step_id: str,
        status: str,
        *,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        error: str | None = None,
    ) -> dict[str, str]:
        from stackyard_sql.schema import artifacts, steps

        now = time.time()
        ids = {name: record.get("id") or uuidlib.uuid4().hex for name, record in (outputs or {}).items()}
        rows = [
            {
                "id": ids[name], "uri": record["uri"], "data_type": record.get("data_type"),
                "materializer": record.get("materializer"), "producer_step_id": step_id, "size": record.get("size"),
                "content_hash": record.get("content_hash"), "created": now, "extra": _dump(record.get("extra") or {}),
            }
            for name, record in (outputs or {}).items()
        ]

        def work(conn: Connection) -> None:
            if rows:
                conn.execute(artifacts.insert(), rows)
            _link(conn, step_id, ids, "output")
            conn.execute(steps.update().where(steps.c.id == step_id).values(status=str(status), ended=now, error=error))

        self._write(work)
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
        from stackyard_sql.schema import steps

        step_id = uuidlib.uuid4().hex
        now = time.time()

        def work(conn: Connection) -> None:
            conn.execute(steps.insert().values(
                id=step_id, run_id=run_id, name=name, status="cached", started=now, ended=now,
                parameters=_json(parameters), upstream=_dump(list(upstream)), cache_key=cache_key,
                cached_from=cached_from,
            ))
            _link(conn, step_id, inputs, "input")
            _link(conn, step_id, outputs, "output")

        self._write(work)
        return step_id

    def record_attempt(self, step_id: str, attempt: int) -> None:
        from stackyard_sql.schema import steps

        self._write(lambda conn: conn.execute(steps.update().where(steps.c.id == step_id).values(attempts=attempt)))

    def record_step_logs(self, step_id: str, uri: str) -> None:
        from stackyard_sql.schema import steps

        self._write(lambda conn: conn.execute(steps.update().where(steps.c.id == step_id).values(logs_uri=uri)))

    # -- metadata ---------------------------------------------------------------

    def add_metadata(self, run_id: str, step_id: str | None, values: Mapping[str, Any]) -> None:
        rows = [{"run_id": run_id, "step_id": step_id or "", "key": str(k), "value": _dump(v)} for k, v in values.items()]
        if rows:
            self._write(lambda conn: _upsert_metadata(conn, rows))

    def get_metadata(self, run_id: str, step_id: str | None = None) -> dict[str, Any]:
        from sqlalchemy import select

        from stackyard_sql.schema import run_metadata as md

        rows = self._read(lambda conn: conn.execute(
            select(md.c.key, md.c.value).where(md.c.run_id == run_id, md.c.step_id == (step_id or "")).order_by(md.c.seq)
        ).all())
        return {key: json.loads(value) for key, value in rows}

    # -- reading -------------------------------------------------------------

    def get_pipelines(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from stackyard_sql.schema import pipelines as p

        return self._query(lambda: select(p.c.id, p.c.name, p.c.created).order_by(p.c.created, p.c.name))

    def get_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        from stackyard_sql.schema import runs

        return self._query(lambda: _of_pipeline(_run_select(), pipeline_name).order_by(runs.c.started, runs.c.seq))

    def get_latest_runs(self, pipeline_name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        from stackyard_sql import database

        if not database.has_engines():  # a process that only lists runs: skip importing SQLAlchemy
            from stackyard_sql.fastread import latest_runs

            found = latest_runs(self.url, self._password(), pipeline_name, limit)
            if found is not None:
                return found
        from stackyard_sql.schema import runs

        return self._query(
            lambda: _of_pipeline(_run_select(), pipeline_name)
            .order_by(runs.c.started.desc(), runs.c.seq.desc()).limit(max(int(limit), 0))
        )

    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        from sqlalchemy import or_

        from stackyard_sql.schema import runs

        found = self._query(lambda: _run_select().where(or_(runs.c.id == name_or_id, runs.c.name == name_or_id)))
        return found[0] if found else None

    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        from stackyard_sql.schema import steps

        return self._query(lambda: _step_select().where(steps.c.run_id == run_id).order_by(steps.c.started, steps.c.seq))

    def get_step(self, run_id: str, name: str) -> dict[str, Any] | None:
        from stackyard_sql.schema import steps

        found = self._query(lambda: _step_select().where(steps.c.run_id == run_id, steps.c.name == name))
        return found[0] if found else None

    def get_artifacts(self, step_id: str) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from stackyard_sql.schema import artifacts as a
        from stackyard_sql.schema import step_artifacts as e

        def build() -> Any:
            columns = [c for c in a.c if c.name != "seq"]
            return (
                select(e.c.name, e.c.direction, *columns).join(a, a.c.id == e.c.artifact_id)
                .where(e.c.step_id == step_id).order_by(e.c.direction, e.c.seq)
            )

        return self._query(build)

    def find_cached_steps(self, cache_key: str, limit: int = 3) -> list[dict[str, Any]]:
        from stackyard_sql.schema import steps

        return self._query(
            lambda: _step_select().where(steps.c.cache_key == cache_key, steps.c.status == "completed")
            .order_by(steps.c.ended.desc()).limit(limit)
        )

    # -- copying runs in ---------------------------------------------------------

    def import_run(self, bundle: Mapping[str, Any]) -> bool:
        from stackyard_sql.importing import import_bundle

        return self._write(lambda conn: import_bundle(conn, bundle))


# -- helpers (SQLAlchemy imported by their callers) -----------------------------


def _run_select() -> Any:
    from sqlalchemy import select

    from stackyard_sql.schema import pipelines, runs

    columns = [c for c in runs.c if c.name != "seq"]
    return select(*columns, pipelines.c.name.label("pipeline_name")).join(pipelines, pipelines.c.id == runs.c.pipeline_id)


def _step_select() -> Any:
    from sqlalchemy import select

    from stackyard_sql.schema import steps

    return select(*[c for c in steps.c if c.name != "seq"])


def _of_pipeline(query: Any, pipeline_name: str | None) -> Any:
    from stackyard_sql.schema import pipelines

    return query if pipeline_name is None else query.where(pipelines.c.name == pipeline_name)


def _stop_running_steps(conn: Connection, steps: Any, run_id: str, status: str, now: float, error: str) -> None:
    from sqlalchemy import func

    conn.execute(
        steps.update().where(steps.c.run_id == run_id, steps.c.status == "running")
        .values(status=status, ended=now, error=func.coalesce(steps.c.error, error))
    )


def _insert_ignore(conn: Connection, table: Any, values: Mapping[str, Any]) -> None:
    """Insert a row unless one with the same unique key exists (another process may be inserting it too)."""
    name = conn.dialect.name
    if name in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(table.insert().prefix_with("IGNORE").values(**values))


def _upsert_metadata(conn: Connection, rows: list[dict[str, Any]]) -> None:
    from stackyard_sql.schema import run_metadata as md

    name = conn.dialect.name
    if name in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        statement = (postgresql.insert if name == "postgresql" else sqlite.insert)(md)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[md.c.run_id, md.c.step_id, md.c.key], set_={"value": statement.excluded.value}
            ),
            rows,
        )
    else:
        from sqlalchemy.dialects import mysql

        statement = mysql.insert(md)
        conn.execute(statement.on_duplicate_key_update(value=statement.inserted.value), rows)


def _link(conn: Connection, step_id: str, artifact_ids: Mapping[str, str], direction: str) -> None:
    from stackyard_sql.schema import step_artifacts

    if artifact_ids:
        conn.execute(
            step_artifacts.insert(),
            [{"step_id": step_id, "artifact_id": a, "name": n, "direction": direction} for n, a in artifact_ids.items()],
        )


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _json(value: Any) -> str:
    """``value`` as JSON text (text already JSON passes through)."""
    return value if isinstance(value, str) else _dump(value)


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    from stackyard_sql.fastread import decode

    return decode(dict(row))
