"""One Dask cluster for the whole test session: a scheduler and two worker processes on 127.0.0.1."""

from __future__ import annotations

import copyreg
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

WORKER_RESOURCES = {"GPU": 1.0, "memory": 4e9}
"""What each session worker offers as Dask resources (as `dask worker --resources "GPU=1 memory=4e9"`)."""


def _import_distributed() -> None:
    """Import distributed, undoing the pickling rule it installs for every exception class then defined.

    (``distributed.utils`` calls ``tblib.pickling_support.install()``.) In a user's process that is
    harmless; in this shared test process it would change how other suites' exceptions pickle.
    """
    saved = dict(copyreg.dispatch_table)
    import distributed  # noqa: F401

    copyreg.dispatch_table.clear()
    copyreg.dispatch_table.update(saved)


@pytest.fixture(scope="session")
def dask_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running scheduler with two single-threaded worker processes, stopped after the session.

    The workers get their own Stackyard config folder, as a worker on another machine would have.
    """
    _import_distributed()
    from distributed import LocalCluster

    config = tmp_path_factory.mktemp("dask-worker-config")
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: never collide with another cluster
        resources=WORKER_RESOURCES,
        silence_logs=logging.WARNING,
        env={"STACKYARD_CONFIG_PATH": str(config)},
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture
def dask_client(dask_address: str) -> Iterator[object]:
    """A client of the session cluster, for tests that look at the workers."""
    from distributed import Client

    with Client(dask_address, set_as_default=False) as client:
        yield client


@pytest.fixture
def dask_stack(dask_address: str, tmp_path: Path, stackyard_config: Path):  # type: ignore[no-untyped-def]
    """A stack of the session cluster's orchestrator, a local artifact store and a SQLite metadata store."""
    from stackyard.repository import Repository
    from stackyard.stack.stack import Stack
    from stackyard_dask.orchestrator import DaskOrchestrator

    repo = Repository()
    local = {t: repo.get_flavor(t, f).implementation for t, f in (("artifact_store", "local"), ("metadata_store", "sqlite"))}
    return Stack(
        "dask",
        orchestrator=DaskOrchestrator(name="dask", address=dask_address),
        artifact_store=local["artifact_store"](name="local", path=str(tmp_path / "artifacts")),
        metadata_store=local["metadata_store"](name="sqlite", uri=str(tmp_path / "metadata.db")),
    )
