"""The SQL metadata store flavor for Stackyard (SQLAlchemy 2 + Alembic)."""

__version__ = "0.1.0"
