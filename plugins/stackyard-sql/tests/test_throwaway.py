"""The pip-installed server (pgserver) works where Debian's PostgreSQL is not installed: a fresh machine with only pip."""

from __future__ import annotations

from stackyard_sql.metadata_store import SQLMetadataStore
from stackyard_sql.throwaway import ThrowawayPostgres


def test_pgserver_runs_a_store_on_loopback_and_is_removed_afterwards() -> None:
    from stackyard_sql.database import dispose_all

    with ThrowawayPostgres.start("pgserver") as server:
        assert server.source == "pgserver"
        url = server.create_database("fresh")
        assert "@127.0.0.1:" in url
        store = SQLMetadataStore(name="pip", url=url)
        run_id = store.create_run("p", "on-pgserver", stack={}, runtime_configuration={}, parameters={"n": 1})
        assert [(r["id"], r["parameters"]) for r in store.get_runs()] == [(run_id, {"n": 1})]
        dispose_all()
        data = server.data
    assert not data.exists()
