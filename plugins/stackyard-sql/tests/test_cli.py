"""What a user sees: registering the flavor, passwords as secrets, copying history, listing the newest runs."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.testing.assertions import modules_imported_by
from stackyard.testing.sample_pipelines import diamond, wide

from stackyard_sql.metadata_store import SQLMetadataStore
from stackyard_sql.throwaway import PASSWORD, PASSWORD_USER, ThrowawayPostgres


def _ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return result


def test_a_url_with_a_plain_password_is_refused_without_showing_it(stackyard_cli) -> None:  # type: ignore[no-untyped-def]
    result = stackyard_cli("metadata-store", "register", "db", "--flavor=sql",
                           "--url=postgresql+psycopg://me:hunter2@127.0.0.1/db")
    assert result.exit_code != 0
    assert "hunter2" not in result.output and "password in plain text" in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if "Error" in line]) == 1
    assert "db" not in [c.name for c in Repository().get_stack_components("metadata_store")]


def test_a_plain_password_parameter_is_refused(stackyard_cli) -> None:  # type: ignore[no-untyped-def]
    result = stackyard_cli("metadata-store", "register", "db", "--flavor=sql",
                           "--url=postgresql+psycopg://me@127.0.0.1/db", "--password=hunter2")
    assert result.exit_code != 0 and "hunter2" not in result.output and "secret reference" in result.output


def test_an_unreachable_server_is_one_line_naming_it(tmp_path: Path) -> None:
    from stackyard.exceptions import MetadataStoreError

    store = SQLMetadataStore(name="gone", url="postgresql+psycopg://me@127.0.0.1:1/db")
    with pytest.raises(MetadataStoreError, match=r"127\.0\.0\.1:1/db cannot be used") as caught:
        store.get_runs()
    assert "\n" not in str(caught.value)


def _secret_stack(stackyard_cli, postgres: ThrowawayPostgres, database: str, tmp_path: Path, password: str) -> None:  # type: ignore[no-untyped-def]
    _ok(stackyard_cli("secrets-manager", "register", "vault", "--flavor=local", f"--path={tmp_path / 'secrets.json'}"))
    _ok(stackyard_cli("stack", "copy", "default", "remote"))
    _ok(stackyard_cli("stack", "set", "remote"))
    _ok(stackyard_cli("stack", "update", "remote", "-x", "vault"))
    _ok(stackyard_cli("secret", "register", "db", f"--password={password}"))
    _ok(stackyard_cli("metadata-store", "register", "pg", "--flavor=sql",
                      f"--url={postgres.url(database, user=PASSWORD_USER)}", "--password={{db.password}}"))
    _ok(stackyard_cli("stack", "update", "remote", "-m", "pg"))


def test_the_password_comes_from_a_secret_and_is_never_written_down(
    stackyard_cli, postgres: ThrowawayPostgres, postgres_url: str, tmp_path: Path, stackyard_config: Path  # type: ignore[no-untyped-def]
) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    _secret_stack(stackyard_cli, postgres, database, tmp_path, PASSWORD)
    name = f"secret-{uuid.uuid4().hex[:8]}"
    assert diamond(n=2).run(run_name=name).get_step("add").output.read() == 10
    listed = _ok(stackyard_cli("pipeline", "runs"))
    assert name in listed.output
    for path in stackyard_config.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    dump = subprocess.run(
        [str(postgres.bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", database],
        capture_output=True, text=True, check=True,
    ).stdout
    assert name in dump and PASSWORD not in dump and "{{db.password}}" in dump


def test_a_wrong_password_is_one_line_without_the_password(
    stackyard_cli, postgres: ThrowawayPostgres, postgres_url: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    _secret_stack(stackyard_cli, postgres, postgres_url.rsplit("/", 1)[1], tmp_path, "not-the-password-42")
    result = stackyard_cli("pipeline", "runs")
    assert result.exit_code != 0
    assert "password authentication failed" in result.output and "not-the-password-42" not in result.output
    assert "Traceback" not in result.output


def test_runs_are_listed_newest_first_up_to_the_limit(stackyard_cli, postgres_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _ok(stackyard_cli("metadata-store", "register", "pg", "--flavor=sql", f"--url={postgres_url}"))
    _ok(stackyard_cli("stack", "update", "default", "-m", "pg"))
    names = [f"limit-{i}-{uuid.uuid4().hex[:6]}" for i in range(4)]
    for name in names:
        wide().run(run_name=name)
    shown = _ok(stackyard_cli("pipeline", "runs", "--limit", "2", "--output", "json")).stdout
    import json

    assert [r["name"] for r in json.loads(shown)] == [names[3], names[2]]
    everything = _ok(stackyard_cli("pipeline", "runs", "wide", "--output", "json")).stdout
    assert [r["name"] for r in json.loads(everything)] == names[::-1]
    missing = stackyard_cli("pipeline", "runs", "nope")
    assert missing.exit_code != 0 and "No pipeline named 'nope'" in missing.output


def test_history_is_copied_from_sqlite_once(stackyard_cli, postgres_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = Repository()
    first, second, failed = (f"copy-{i}-{uuid.uuid4().hex[:6]}" for i in range(3))
    diamond(n=2).run(run_name=first)
    wide().run(run_name=second)
    wide().run(run_name=failed + "-cached")  # steps served from cache: they point at the second run's outputs
    source = repo.load_stack_component("metadata_store", repo.active_component_name("metadata_store"))
    run_id = source.get_run(first)["id"]
    source.add_metadata(run_id, None, {"tracking_url": "http://tracker/1"})
    source.add_metadata(run_id, source.get_step(run_id, "add")["id"], {"accuracy": 0.9})

    _ok(stackyard_cli("metadata-store", "register", "pg", "--flavor=sql", f"--url={postgres_url}"))
    copied = _ok(stackyard_cli("metadata-store", "copy", "default", "pg"))
    assert "Copied 3 runs" in copied.output and "point at local disk" in copied.output
    again = _ok(stackyard_cli("metadata-store", "copy", "default", "pg"))
    assert "Copied 0 runs" in again.output and "3 already there" in again.output

    target = SQLMetadataStore(name="pg", url=postgres_url)
    assert [r["name"] for r in target.get_runs()] == [r["name"] for r in source.get_runs()]
    for original in source.get_runs():
        twin = target.get_run(original["name"])
        assert twin is not None and {k: twin[k] for k in original} == original
        assert target.get_steps(twin["id"]) == source.get_steps(original["id"])
        for step in source.get_steps(original["id"]):
            assert target.get_artifacts(step["id"]) == source.get_artifacts(step["id"])
            assert target.get_metadata(twin["id"], step["id"]) == source.get_metadata(original["id"], step["id"])
        assert target.get_metadata(twin["id"]) == source.get_metadata(original["id"])

    _ok(stackyard_cli("stack", "update", "default", "-m", "pg"))
    run = Repository().get_run(first)
    assert run.metadata == {"tracking_url": "http://tracker/1"}
    assert run.get_step("add").output.read() == 10  # the artifacts are still where the run wrote them
    cached = Repository().get_run(failed + "-cached").get_step("gather")
    assert cached.is_cached and cached.output.read() == [1, 2, 3, 4]
    wide().run(run_name=f"after-{uuid.uuid4().hex[:6]}")  # the copied history serves the cache
    assert Repository().get_latest_runs(limit=1)[0].get_step("gather").is_cached


def test_a_clashing_run_name_is_one_problem_line_and_the_rest_is_copied(stackyard_cli, postgres_url: str) -> None:  # type: ignore[no-untyped-def]
    names = [f"clash-{i}-{uuid.uuid4().hex[:6]}" for i in range(2)]
    for name in names:
        wide().run(run_name=name)
    target = SQLMetadataStore(name="pg", url=postgres_url)
    target.create_run("other", names[0], stack={}, runtime_configuration={}, parameters={})
    _ok(stackyard_cli("metadata-store", "register", "pg", "--flavor=sql", f"--url={postgres_url}"))
    result = stackyard_cli("metadata-store", "copy", "default", "pg")
    assert result.exit_code == 1
    assert f"run '{names[0]}': the target already has another run named" in result.output
    assert "Copied 1 run " in result.output and target.get_run(names[1]) is not None


def test_copy_names_unknown_stores(stackyard_cli) -> None:  # type: ignore[no-untyped-def]
    result = stackyard_cli("metadata-store", "copy", "default", "nowhere")
    assert result.exit_code != 0 and "nowhere" in result.output and "Traceback" not in result.output


def test_listing_flavors_does_not_import_sqlalchemy(stackyard_config: Path) -> None:
    loaded = modules_imported_by(
        "from stackyard import Repository\n"
        "assert [f for f in Repository().get_flavors('metadata_store') if f.name == 'sql']\n"
        "from stackyard_sql.metadata_store import SQLMetadataStore\n"
        "SQLMetadataStore(name='x', url='postgresql+psycopg://me@db/x')\n"
    )
    assert "sqlalchemy" not in loaded


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_listing_the_newest_runs_in_a_new_process_reads_the_same_without_sqlalchemy(
    backend: str, postgres_url: str, tmp_path: Path
) -> None:
    import json

    url = postgres_url if backend == "postgresql" else f"sqlite:///{tmp_path / 'm.db'}"
    store = SQLMetadataStore(name="x", url=url)
    for index in range(5):
        run_id = store.create_run("p" if index % 2 else "q", f"r{index}", stack={"name": "s"},
                                  runtime_configuration={"o": index}, parameters={"n": index})
        if index < 3:
            store.finish_run(run_id, "completed")
    code = (
        "import json, sys\nfrom stackyard_sql.metadata_store import SQLMetadataStore\n"
        "s = SQLMetadataStore(name='x', url=sys.argv[1])\n"
        "print(json.dumps([s.get_latest_runs(limit=3), s.get_latest_runs('p', limit=9), 'sqlalchemy' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True).stdout
    latest, of_p, imported = json.loads(out)
    assert imported is False
    assert latest == json.loads(json.dumps(store.get_latest_runs(limit=3))) and [r["name"] for r in latest] == ["r4", "r3", "r2"]
    assert of_p == json.loads(json.dumps(store.get_latest_runs("p", limit=9))) and [r["name"] for r in of_p] == ["r3", "r1"]


def test_a_database_without_the_schema_yet_is_listed_through_the_ordinary_path(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom stackyard_sql.metadata_store import SQLMetadataStore\n"
        "print(SQLMetadataStore(name='x', url=sys.argv[1]).get_latest_runs())\n"
    )
    url = f"sqlite:///{tmp_path / 'new.db'}"
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]" and SQLMetadataStore(name="x", url=url).schema_revision is not None
