"""One throwaway PostgreSQL on 127.0.0.1 for the whole session; a fresh database for each test that asks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from stackyard_sql.throwaway import ThrowawayPostgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    """Debian's PostgreSQL where ``initdb`` is installed, else pgserver's (``STACKYARD_SQL_POSTGRES`` chooses)."""
    server = ThrowawayPostgres.start()
    yield server
    from stackyard_sql.database import dispose_all

    dispose_all()
    server.stop()


@pytest.fixture
def postgres_url(postgres: ThrowawayPostgres) -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    from stackyard_sql.database import dispose_all

    name = f"sy_{uuid.uuid4().hex[:12]}"
    yield postgres.create_database(name)
    dispose_all()
    postgres.drop_database(name)
