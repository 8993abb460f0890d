"""The schema is migrated by Alembic on first use, matches the tables the store queries, and a newer one is refused."""

from __future__ import annotations

import pytest

from stackyard.exceptions import MetadataStoreError

from stackyard_sql.metadata_store import SQLMetadataStore
from stackyard_sql.migrations import HEAD, REVISIONS, VERSION_TABLE


def test_the_package_knows_every_revision_alembic_has() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "stackyard_sql:migrations")
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == HEAD
    assert [r.revision for r in reversed(list(script.walk_revisions()))] == list(REVISIONS)


def test_a_new_database_is_migrated_to_exactly_the_tables_the_store_uses(postgres_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from stackyard_sql.schema import metadata

    store = SQLMetadataStore(name="fresh", url=postgres_url)
    assert store.get_runs() == [] and store.schema_revision == HEAD
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        differences = [d for d in compare_metadata(context, metadata) if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)]
    engine.dispose()
    assert differences == []


def test_a_database_at_a_newer_schema_is_refused_in_one_line(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    from stackyard_sql.database import dispose_all

    SQLMetadataStore(name="old", url=postgres_url).get_runs()
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    dispose_all()
    with pytest.raises(MetadataStoreError) as caught:
        SQLMetadataStore(name="old", url=postgres_url).get_runs()
    assert "schema revision 9999, newer than this stackyard-sql understands" in str(caught.value)
    assert "upgrade stackyard-sql" in str(caught.value) and "\n" not in str(caught.value)


def test_many_processes_migrating_one_new_database_at_once(postgres_url: str) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom stackyard_sql.metadata_store import SQLMetadataStore\n"
        "s = SQLMetadataStore(name='x', url=sys.argv[1])\n"
        "s.create_run('p', 'run-' + sys.argv[2], stack={}, runtime_configuration={}, parameters={})\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", code, postgres_url, str(i)], stderr=subprocess.PIPE, text=True)
               for i in range(4)]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], errors
    store = SQLMetadataStore(name="x", url=postgres_url)
    assert sorted(r["name"] for r in store.get_runs()) == [f"run-{i}" for i in range(4)]
    assert len(store.get_pipelines()) == 1
