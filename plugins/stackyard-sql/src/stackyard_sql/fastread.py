"""Listing the newest runs without SQLAlchemy: one query through the database driver itself.

``stackyard pipeline runs`` is a new process each time, and importing
SQLAlchemy costs more than the rest of the command together. So the first
read of a process that only lists runs goes straight through ``sqlite3`` or
``psycopg``, *if* the database is already at this package's schema. Whatever
else happens (another driver, an older or newer schema, a connection error) it
returns ``None`` and the store takes its ordinary path, which migrates or
explains the problem in one line.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from stackyard_sql.migrations import HEAD, VERSION_TABLE

JSON_COLUMNS = frozenset({"parameters", "upstream", "extra", "stack", "runtime_configuration", "owner"})
RUN_COLUMNS = (
    "id", "pipeline_id", "name", "status", "started", "ended", "stack", "runtime_configuration", "parameters",
    "error", "owner", "heartbeat",
)


def _sql(placeholder: str, pipeline_name: str | None) -> str:
    columns = ", ".join(f"r.{c}" for c in RUN_COLUMNS)
    where = f" WHERE p.name = {placeholder}" if pipeline_name is not None else ""
    return (
        f"SELECT {columns}, p.name AS pipeline_name FROM sy_runs r JOIN sy_pipelines p ON p.id = r.pipeline_id"
        f"{where} ORDER BY r.started DESC, r.seq DESC LIMIT {placeholder}"
    )


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its JSON columns parsed."""
    for key in JSON_COLUMNS & row.keys():
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


def latest_runs(url: str, password: str | None, pipeline_name: str | None, limit: int) -> list[dict[str, Any]] | None:
    """The newest ``limit`` runs read through the driver, or ``None`` to take the ordinary path."""
    parts = urlsplit(url)
    backend, _, driver = parts.scheme.partition("+")
    args: tuple[Any, ...] = (max(int(limit), 0),) if pipeline_name is None else (pipeline_name, max(int(limit), 0))
    try:
        if backend == "sqlite" and driver in ("", "pysqlite"):
            return _sqlite(unquote(url.split(":///", 1)[1].split("?", 1)[0]), _sql("?", pipeline_name), args)
        if backend == "postgresql" and driver in ("", "psycopg"):
            return _postgres(parts, password, _sql("%s", pipeline_name), args)
    except Exception:  # noqa: BLE001 - the ordinary path reports it properly
        return None
    return None


def _sqlite(path: str, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]] | None:
    import sqlite3
    from pathlib import Path

    if not path or not Path(path).is_file():
        return None
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=60)
    try:
        if conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone() != (HEAD,):
            return None
        cursor = conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [decode(dict(zip(names, row))) for row in cursor.fetchall()]
    finally:
        conn.close()


def _postgres(parts: Any, password: str | None, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]] | None:
    import psycopg

    options: dict[str, Any] = dict(parse_qsl(parts.query))
    if parts.hostname:
        options["host"] = parts.hostname
    if parts.port:
        options["port"] = parts.port
    if parts.username:
        options["user"] = unquote(parts.username)
    if password is not None:
        options["password"] = password
    options["dbname"] = unquote(parts.path.lstrip("/")) or options.get("dbname", "")
    with psycopg.connect(connect_timeout=10, **options) as conn:
        if conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone() != (HEAD,):
            return None
        cursor = conn.execute(sql, args)  # type: ignore[arg-type]
        names = [d.name for d in cursor.description or ()]
        return [decode(dict(zip(names, row))) for row in cursor.fetchall()]
