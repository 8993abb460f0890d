"""The ``dask`` step operator: runs selected steps on a Dask cluster, the rest stays with the stack's orchestrator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar

import attrs

from stackyard.step_operators import BaseStepOperator


class DaskStepOperator(BaseStepOperator):
    """Runs each step marked ``@step(step_operator="<name>")`` as a Dask task on a worker.

    The task runs core's one-step entry point in a fresh Python process on the
    worker, with the worker's interpreter and environment: the pipeline's module
    must be importable there, and the artifact and metadata stores reachable (see
    :class:`~stackyard.step_operators.BaseStepOperator`). With ``address`` unset, a
    ``LocalCluster`` is started for each step it runs (handy on a laptop only).
    """

    FLAVOR: ClassVar[str] = "dask"

    address: str = attrs.field(
        default="", metadata={"allow_empty": True, "doc": "a running scheduler, tcp://host:8786 (empty: a LocalCluster per step)"}
    )
    resources: dict[str, float] = attrs.field(
        factory=dict, metadata={"doc": "Dask worker resources every step it runs needs, e.g. {GPU = 1}"}
    )
    connect_timeout: float = attrs.field(default=10.0, metadata={"doc": "seconds to wait for the scheduler"})

    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        from stackyard_dask.cluster import DaskClusterError, connect, offered, worker_resources

        with connect(self.address, n_workers=1, worker_resources=self.resources, timeout=self.connect_timeout) as client:
            if self.resources and not offered(worker_resources(client), self.resources):
                raise DaskClusterError(
                    f"Step operator '{self.name}' asks for resources {self.resources}, which no Dask worker offers; "
                    "start workers with `dask worker ADDRESS --resources ...` or change its resources."
                )
            key = f"stackyard-{pipeline_name}-{run_name}-{step_name}-{uuid.uuid4().hex[:8]}"
            future = client.submit(run_command, list(entrypoint), key=key, pure=False, resources=dict(self.resources) or None)
            with _seceded():
                future.result()


@contextmanager
def _seceded() -> Iterator[None]:
    """Inside a Dask task (the ``dask`` orchestrator's), give the worker's thread slot back while waiting."""
    from distributed import get_worker, rejoin, secede

    try:
        get_worker()
    except ValueError:  # not on a worker
        yield
        return
    secede()
    try:
        yield
    finally:
        rejoin()


def run_command(entrypoint: list[str]) -> int:
    """On a worker: run the entry point command with this worker's Python; its output shows in the worker's log."""
    import subprocess
    import sys

    command = [sys.executable, *entrypoint[1:]] if entrypoint[1:2] == ["-m"] else list(entrypoint)
    return subprocess.run(command, check=False).returncode
