"""The first schema: pipelines, runs (with liveness), steps, artifacts, their edges, and metadata.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)
NAME = sa.String(255)


def _seq() -> sa.Column:
    return sa.Column("seq", SEQ, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "sy_pipelines", _seq(),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "sy_runs", _seq(),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("pipeline_id", ID, sa.ForeignKey("sy_pipelines.id"), nullable=False),
        sa.Column("name", NAME, nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("ended", sa.Float),
        sa.Column("stack", sa.Text, nullable=False),
        sa.Column("runtime_configuration", sa.Text, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("heartbeat", sa.Float),
    )
    op.create_index("sy_runs_by_pipeline", "sy_runs", ["pipeline_id", "started"])
    op.create_index("sy_runs_by_started", "sy_runs", ["started"])
    op.create_index("sy_runs_by_status", "sy_runs", ["status"])
    op.create_table(
        "sy_steps", _seq(),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("run_id", ID, sa.ForeignKey("sy_runs.id"), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started", sa.Float),
        sa.Column("ended", sa.Float),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("upstream", sa.Text, nullable=False),
        sa.Column("cache_key", sa.String(255)),
        sa.Column("cached_from", ID),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("logs_uri", sa.Text),
        sa.UniqueConstraint("run_id", "name", name="sy_steps_run_name"),
    )
    op.create_index("sy_steps_by_cache_key", "sy_steps", ["cache_key", "status", "ended"])
    op.create_table(
        "sy_artifacts", _seq(),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("data_type", sa.Text),
        sa.Column("materializer", sa.Text),
        sa.Column("producer_step_id", ID),
        sa.Column("size", sa.BigInteger),
        sa.Column("content_hash", sa.String(255)),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_table(
        "sy_step_artifacts", _seq(),
        sa.Column("step_id", ID, sa.ForeignKey("sy_steps.id"), nullable=False),
        sa.Column("artifact_id", ID, sa.ForeignKey("sy_artifacts.id"), nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.UniqueConstraint("step_id", "direction", "name", name="sy_step_artifacts_edge"),
    )
    op.create_index("sy_step_artifacts_by_artifact", "sy_step_artifacts", ["artifact_id"])
    op.create_table(
        "sy_metadata", _seq(),
        sa.Column("run_id", ID, sa.ForeignKey("sy_runs.id"), nullable=False),
        sa.Column("step_id", ID, nullable=False, server_default=""),
        sa.Column("key", NAME, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "step_id", "key", name="sy_metadata_key"),
    )


def downgrade() -> None:
    for table in ("sy_metadata", "sy_step_artifacts", "sy_artifacts", "sy_steps", "sy_runs", "sy_pipelines"):
        op.drop_table(table)
