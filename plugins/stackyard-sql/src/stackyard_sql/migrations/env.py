"""Alembic's environment: migrate the connection the store hands over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from stackyard_sql.migrations import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
