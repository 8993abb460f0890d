"""The quickstart on a distributed stack, on this machine: Dask workers, S3 artifacts, PostgreSQL run history.

    .venv/bin/python examples/distributed/run.py

It starts three servers on 127.0.0.1 — a Dask scheduler with two worker
processes, a moto S3 server and a throwaway PostgreSQL — registers a stack of
the ``dask`` orchestrator, the ``s3`` artifact store and the ``sql`` metadata
store with the credentials in a secrets manager, runs ``examples/quickstart``
unchanged on it twice (the second run comes from cache), reads the runs back
with the CLI, and stops everything it started, also on an error or Ctrl+C.

The stack lives in a profile of its own, ``distributed_example``, chosen for
the commands this script runs only (``STACKYARD_PROFILE``): your active
profile and stack stay as they are. The profile is deleted at the end, since
the servers its stack points at are gone.

Needs ``pip install -e './plugins/stackyard-dask[test]' -e './plugins/stackyard-s3[test]'
-e './plugins/stackyard-sql[test]'`` (distributed, moto, s3fs, SQLAlchemy, psycopg and
pgserver, which brings a PostgreSQL where Debian's is not installed).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart" / "run.py"
PROFILE = "distributed_example"
BUCKET = "stackyard-artifacts"
S3_KEY, S3_SECRET = "demo-access-key", "demo-secret-key"  # moto accepts any pair
NEEDED = {  # module: the package that brings it
    "stackyard_dask": "./plugins/stackyard-dask[test]",
    "stackyard_s3": "./plugins/stackyard-s3[test]",
    "stackyard_sql": "./plugins/stackyard-sql[test]",
    "distributed": "./plugins/stackyard-dask[test]",
    "moto": "./plugins/stackyard-s3[test]",
    "psycopg": "./plugins/stackyard-sql[test]",
    "sklearn": "scikit-learn",
}
SECRET_OPTIONS = ("--key=", "--secret=", "--password=")


def stackyard_command() -> list[str]:
    """This environment's ``stackyard``."""
    script = Path(sys.executable).parent / "stackyard"
    return [str(script)] if script.exists() else [sys.executable, "-m", "stackyard_cli"]


def shown(args: list[str]) -> str:
    """A command as printed: ``stackyard``/``python`` by their short names, secret values masked."""
    words = ["stackyard" if i == 0 and Path(a).name == "stackyard" else a for i, a in enumerate(args)]
    words = ["python" if w == sys.executable else w for w in words]
    words = [w.split("=", 1)[0] + "=****" if w.startswith(SECRET_OPTIONS) and "{{" not in w else w for w in words]
    return shlex.join(words).replace(str(ROOT) + os.sep, "")


def run(args: list[str], *, capture: bool = False) -> str:
    """Run a command in the example's profile, echoing it; stop it if this script is interrupted."""
    print(f"$ {shown(args)}", flush=True)
    env = {**os.environ, "STACKYARD_PROFILE": PROFILE}
    env.pop("STACKYARD_STACK", None)
    # stderr (the CLI's log lines) is shown only if the command fails.
    child = subprocess.Popen(args, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE if capture else None,
                             stderr=subprocess.PIPE)
    try:
        out, err = child.communicate()
    except BaseException:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise
    if child.returncode != 0:
        print(err, file=sys.stderr)
        raise SystemExit(f"'{shown(args)}' failed (exit {child.returncode}); everything started is being stopped.")
    return out or ""


@contextlib.contextmanager
def postgres() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL with an empty ``stackyard`` database: its URL (no password in it) and the password."""
    from stackyard_sql.throwaway import PASSWORD, PASSWORD_USER, ThrowawayPostgres

    server = ThrowawayPostgres.start()
    try:
        server.create_database("stackyard")
        print(f"Started PostgreSQL ({server.source}) on 127.0.0.1:{server.port}, data in {server.data}")
        yield server.url("stackyard", user=PASSWORD_USER), PASSWORD
    finally:
        server.stop()
        print(f"Stopped PostgreSQL on 127.0.0.1:{server.port} and removed {server.data}")


@contextlib.contextmanager
def s3() -> Iterator[tuple[str, Any]]:
    """moto's S3 server in this process with an empty bucket: its endpoint and a boto3 client of it."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET)
        client.create_bucket(Bucket=BUCKET)
        print(f"Started a moto S3 server at {endpoint} with bucket '{BUCKET}'")
        yield endpoint, client
    finally:
        server.stop()
        print(f"Stopped the S3 server at {endpoint}")


@contextlib.contextmanager
def dask(worker_config: Path) -> Iterator[str]:
    """A Dask scheduler with two single-threaded worker processes: the scheduler's address.

    The workers get an empty Stackyard config folder of their own, as workers on other machines would:
    everything they need travels with the run.
    """
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
                           env={"STACKYARD_CONFIG_PATH": str(worker_config)})
    address = cluster.scheduler_address
    try:
        dashboard = f", dashboard {cluster.dashboard_link}" if importlib.util.find_spec("bokeh") else ""
        workers = ", ".join(sorted(cluster.scheduler_info["workers"]))
        print(f"Started a Dask scheduler at {address} with 2 worker processes ({workers}){dashboard}")
        yield address
    finally:
        cluster.close()
        print(f"Stopped the Dask scheduler at {address} and its workers")


@contextlib.contextmanager
def own_profile() -> Iterator[None]:
    """The ``distributed_example`` profile, deleted afterwards (a leftover of an interrupted run first)."""
    stackyard = stackyard_command()
    env = {k: v for k, v in os.environ.items() if k not in ("STACKYARD_PROFILE", "STACKYARD_STACK")}
    listed = subprocess.run([*stackyard, "profile", "list", "--output", "json"], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=True)
    if PROFILE in [profile["name"] for profile in json.loads(listed.stdout)]:
        subprocess.run([*stackyard, "profile", "delete", PROFILE], env=env, cwd=ROOT, capture_output=True, check=True)
    run([*stackyard, "profile", "create", PROFILE])
    try:
        yield
    finally:
        subprocess.run([*stackyard, "profile", "delete", PROFILE], env=env, cwd=ROOT, capture_output=True)
        print(f"Deleted the profile '{PROFILE}' (your active profile and stack were never changed)")


def register_stack(folder: Path, scheduler: str, endpoint: str, db_url: str, db_password: str) -> None:
    stackyard = stackyard_command()
    run([*stackyard, "secrets-manager", "register", "vault", "--flavor=local", f"--path={folder / 'secrets.json'}"])
    run([*stackyard, "orchestrator", "register", "dask", "--flavor=dask", f"--address={scheduler}"])
    run([*stackyard, "artifact-store", "register", "s3", "--flavor=s3", f"--path=s3://{BUCKET}/quickstart",
         f"--endpoint_url={endpoint}", "--region=us-east-1", "--key={{s3.key}}", "--secret={{s3.secret}}"])
    run([*stackyard, "metadata-store", "register", "postgres", "--flavor=sql", f"--url={db_url}",
         "--password={{postgres.password}}"])
    run([*stackyard, "stack", "register", "distributed", "-o", "dask", "-a", "s3", "-m", "postgres", "-x", "vault",
         "--set"])
    run([*stackyard, "secret", "register", "s3", f"--key={S3_KEY}", f"--secret={S3_SECRET}"])
    run([*stackyard, "secret", "register", "postgres", f"--password={db_password}"])


def check_runs() -> bool:
    """Show the runs as recorded in PostgreSQL; True if the first completed and the second came from cache."""
    stackyard = stackyard_command()
    run([*stackyard, "pipeline", "runs", "training_pipeline"])
    runs = json.loads(run([*stackyard, "pipeline", "runs", "training_pipeline", "--output", "json"], capture=True))
    runs = sorted(runs, key=lambda item: item["started"])
    statuses = []
    for item in runs:
        described = json.loads(run([*stackyard, "pipeline", "run-describe", item["name"], "--output", "json"],
                                   capture=True))
        steps = {step["name"]: step["status"] for step in described["steps"]}
        cached = sum(status == "cached" for status in steps.values())
        print(f"  {item['name']}: {item['status']}, {cached} of {len(steps)} steps from cache")
        statuses.append((item["status"], cached, len(steps)))
    return (len(statuses) == 2 and statuses[0][0] == "completed" and statuses[0][1] == 0
            and statuses[1][0] == "cached" and statuses[1][1] == statuses[1][2] > 0)


def count_objects(client: Any) -> int:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sum(len(page.get("Contents", [])) for page in pages)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    missing = sorted({package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None})
    if missing:
        print(f"This example needs: pip install {' '.join(shlex.quote(p) for p in missing)}", file=sys.stderr)
        return 2
    # SIGTERM stops the script the way Ctrl+C does: through the cleanup below.
    signal.signal(signal.SIGTERM, interrupt)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # never ask for an instance role
    folder = Path(tempfile.mkdtemp(prefix="stackyard-distributed-"))
    try:
        with contextlib.ExitStack() as started:
            db_url, db_password = started.enter_context(postgres())
            endpoint, client = started.enter_context(s3())
            scheduler = started.enter_context(dask(folder / "worker-config"))
            print()
            started.enter_context(own_profile())
            register_stack(folder, scheduler, endpoint, db_url, db_password)
            for attempt in ("first", "second"):
                print(f"\n# The quickstart, unchanged, {attempt} run:")
                run([sys.executable, str(QUICKSTART)])
            print(f"\n# Read back from PostgreSQL; {count_objects(client)} objects in s3://{BUCKET}:")
            ok = check_runs()
            print()
        print("Everything started has been stopped.")
    except KeyboardInterrupt:
        print("Interrupted: everything started has been stopped.", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        print("Expected a completed first run and a second run served from cache.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # Dask starts worker processes: keep everything under this guard
    raise SystemExit(main())
