"""Connections to the database: one pooled engine per URL and process, retries, migrations.

SQLAlchemy is imported here, and this module only when a store is first used.
Engines are kept per process: a forked child disposes of the pool it
inherited (without closing its parent's connections) and builds its own.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from stackyard.exceptions import MetadataStoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, URL

T = TypeVar("T")

RETRY_SECONDS = 60.0
"""How long a write is retried while the database says to try again (busy, deadlock, serialization)."""

_engines: dict[str, Engine] = {}
_migrated: set[str] = set()
_lock = threading.Lock()
_MIGRATION_LOCK_ID = 0x53594D44  # "SYMD": PostgreSQL advisory lock held while migrating


def _forget_engines() -> None:
    for engine in _engines.values():
        engine.dispose(close=False)  # the parent's connections stay the parent's
    _engines.clear()
    _migrated.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_engines)


def has_engines() -> bool:
    """Whether this process has connected to a database already (through SQLAlchemy)."""
    return bool(_engines)


def dispose_all() -> None:
    """Close every pooled connection of this process (the next use connects again)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _migrated.clear()


def safe_url(url: URL) -> str:
    """The URL as it may be shown: any password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def engine_for(url: URL) -> Engine:
    """This process's pooled engine for ``url`` (made, and the schema migrated, on first use)."""
    key = url.render_as_string(hide_password=False)
    engine = _engines.get(key)
    if engine is not None and key in _migrated:
        return engine
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create_engine(url)
        if key not in _migrated:
            run(engine, url, lambda conn: migrate(conn, url), write=True)
            _migrated.add(key)
    return engine


def _create_engine(url: URL) -> Engine:
    from sqlalchemy import create_engine, event

    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, says when transactions begin
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # a write takes the lock up front, so two writers never deadlock upgrading a read lock
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sy_write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)


def retryable(exc: BaseException) -> bool:
    """Whether the database asks for the transaction to be tried again."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in ("40001", "40P01"):  # serialization failure, deadlock (PostgreSQL)
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in (1205, 1213):  # lock wait timeout, deadlock (MySQL)
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def run(engine: Engine, url: URL, work: Callable[[Connection], T], *, write: bool) -> T:
    """``work(connection)`` in one transaction, tried again with backoff while the database says to."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    deadline = time.monotonic() + RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            with engine.connect() as conn:
                if write:
                    conn.execution_options(sy_write=True)
                with conn.begin():
                    return work(conn)
        except IntegrityError:
            raise
        except DBAPIError as exc:
            if not retryable(exc) or time.monotonic() > deadline:
                raise unusable(url, exc) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)


def unusable(url: URL, exc: BaseException) -> MetadataStoreError:
    """One line naming the database (password hidden) and what went wrong."""
    orig = getattr(exc, "orig", None) or exc
    reason = " ".join(str(orig).split()) or type(orig).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    hint = "check that the database server runs and the metadata store's url and password are right"
    return MetadataStoreError(f"The metadata database {safe_url(url)} cannot be used ({reason[:300]}); {hint}.")


def current_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database, ``None`` if it has none yet."""
    from sqlalchemy import inspect, text

    from stackyard_sql.migrations import VERSION_TABLE

    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def migrate(conn: Connection, url: URL) -> None:
    """Bring the schema to this package's head (Alembic), once, even with many processes starting at once."""
    from stackyard_sql.migrations import HEAD, REVISIONS

    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    revision = current_revision(conn)
    if revision == HEAD:
        return
    if revision is not None and revision not in REVISIONS:
        raise MetadataStoreError(
            f"The metadata database {safe_url(url)} has schema revision {revision}, newer than this "
            f"stackyard-sql understands (up to {HEAD}); upgrade stackyard-sql."
        )
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "stackyard_sql:migrations")
    config.attributes["connection"] = conn
    command.upgrade(config, HEAD)
