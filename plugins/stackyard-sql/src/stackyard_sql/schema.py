"""The tables of the SQL metadata store, as SQLAlchemy Core objects (imported only when the store is used).

Every table has an integer ``seq`` key that orders rows as they were written
(SQLite's ``rowid`` in the ``sqlite`` flavor) and a text ``id`` that the rest
of Stackyard sees. JSON values are kept as text, so any database will do.
The migrations in :mod:`stackyard_sql.migrations` create exactly these.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from stackyard_sql.fastread import JSON_COLUMNS  # noqa: F401 - the columns holding JSON text

SEQ = BigInteger().with_variant(Integer(), "sqlite")  # SQLite numbers only INTEGER PRIMARY KEY itself
ID = String(64)
NAME = String(255)

metadata = MetaData()

pipelines = Table(
    "sy_pipelines", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("name", NAME, nullable=False, unique=True),
    Column("created", Float, nullable=False),
)

runs = Table(
    "sy_runs", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("pipeline_id", ID, ForeignKey("sy_pipelines.id"), nullable=False),
    Column("name", NAME, nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("started", Float, nullable=False),
    Column("ended", Float),
    Column("stack", Text, nullable=False),
    Column("runtime_configuration", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    Column("error", Text),
    Column("owner", Text),
    Column("heartbeat", Float),
    Index("sy_runs_by_pipeline", "pipeline_id", "started"),
    Index("sy_runs_by_started", "started"),
    Index("sy_runs_by_status", "status"),
)

steps = Table(
    "sy_steps", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("run_id", ID, ForeignKey("sy_runs.id"), nullable=False),
    Column("name", NAME, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started", Float),
    Column("ended", Float),
    Column("parameters", Text, nullable=False),
    Column("upstream", Text, nullable=False),
    Column("cache_key", String(255)),
    Column("cached_from", ID),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("logs_uri", Text),
    UniqueConstraint("run_id", "name", name="sy_steps_run_name"),
    Index("sy_steps_by_cache_key", "cache_key", "status", "ended"),
)

artifacts = Table(
    "sy_artifacts", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("uri", Text, nullable=False),
    Column("data_type", Text),
    Column("materializer", Text),
    Column("producer_step_id", ID),
    Column("size", BigInteger),
    Column("content_hash", String(255)),
    Column("created", Float, nullable=False),
    Column("extra", Text, nullable=False),
)

step_artifacts = Table(
    "sy_step_artifacts", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("step_id", ID, ForeignKey("sy_steps.id"), nullable=False),
    Column("artifact_id", ID, ForeignKey("sy_artifacts.id"), nullable=False),
    Column("name", NAME, nullable=False),
    Column("direction", String(8), nullable=False),
    UniqueConstraint("step_id", "direction", "name", name="sy_step_artifacts_edge"),
    Index("sy_step_artifacts_by_artifact", "artifact_id"),
)

run_metadata = Table(
    "sy_metadata", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("run_id", ID, ForeignKey("sy_runs.id"), nullable=False),
    Column("step_id", ID, nullable=False, server_default=""),
    Column("key", NAME, nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("run_id", "step_id", "key", name="sy_metadata_key"),
)
