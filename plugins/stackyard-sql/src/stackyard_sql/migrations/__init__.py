"""Alembic migrations of the SQL metadata store's schema, run by the store itself on first use.

Revisions are numbered ``0001``, ``0002``, …; :data:`REVISIONS` lists them in
order and must end with the newest one in ``versions/`` (a test checks).
"""

REVISIONS: tuple[str, ...] = ("0001",)
"""Every revision this package knows, oldest first; the last is the head."""

HEAD = REVISIONS[-1]

VERSION_TABLE = "sy_alembic_version"
"""Alembic's version table, named so it never meets another application's ``alembic_version``."""
