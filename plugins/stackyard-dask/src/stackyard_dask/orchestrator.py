"""The ``dask`` orchestrator: every step a Dask task that depends on its upstream steps' tasks."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from stackyard.orchestrators import BaseOrchestrator

if TYPE_CHECKING:
    from distributed import Client

    from stackyard.pipelines.deployment import PipelineDeployment
    from stackyard.stack import Stack


def _positive(_self: Any, field: attrs.Attribute, value: int) -> None:
    if isinstance(value, int) and value < 1:
        raise ValueError(f"{field.name}: use 1 or more")


class DaskOrchestrator(BaseOrchestrator):
    """Runs each step as a Dask task, independent steps at the same time on different workers.

    With ``address`` set it uses that running scheduler (``tcp://scheduler.internal:8786``);
    unset, it starts a ``distributed.LocalCluster`` of ``n_workers`` workers for the run and
    stops it afterwards. The code of the pipeline's and steps' modules is sent to the
    workers by value (``ship_code``); the workers need the same installed packages.
    """

    FLAVOR: ClassVar[str] = "dask"

    address: str = attrs.field(
        default="", metadata={"allow_empty": True, "doc": "a running scheduler, tcp://host:8786 (empty: a LocalCluster per run)"}
    )
    n_workers: int = attrs.field(default=2, validator=_positive, metadata={"doc": "LocalCluster only: worker count"})
    threads_per_worker: int = attrs.field(default=1, validator=_positive, metadata={"doc": "LocalCluster only: threads per worker"})
    processes: bool = attrs.field(default=True, metadata={"doc": "LocalCluster only: workers in processes (False: threads of this one)"})
    worker_resources: dict[str, float] = attrs.field(
        factory=dict, metadata={"doc": "LocalCluster only: resources each worker offers, e.g. {GPU = 1}"}
    )
    ship_code: bool = attrs.field(
        default=True, metadata={"doc": "send the pipeline's and steps' modules to the workers by value (cloudpickle)"}
    )
    connect_timeout: float = attrs.field(default=10.0, metadata={"doc": "seconds to wait for the scheduler"})

    @property
    def is_remote(self) -> bool:
        """Whether steps may run on other machines (a scheduler address that is not loopback)."""
        from stackyard_dask.cluster import is_loopback

        return bool(self.address) and not is_loopback(self.address)

    def validate_stack(self, stack: Stack) -> list[str]:
        """With a remote scheduler, stores on this machine's disk cannot serve the workers."""
        if not self.is_remote:
            return []
        problems = []
        for component, shared in ((stack.artifact_store, "s3"), (stack.metadata_store, "sql")):
            if component is not None and component.is_local:
                what = component.TYPE.display_name
                problems.append(
                    f"the {what} '{component.name}' ({component.FLAVOR}) keeps its data on this machine's disk, which "
                    f"the Dask workers at {self.address} cannot reach; use a shared {what} (such as {shared}) or a "
                    "scheduler on this machine (unset address)"
                )
        return problems

    def run_pipeline(
        self, deployment: PipelineDeployment, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> None:
        from stackyard_dask.cluster import connect

        with connect(
            self.address,
            n_workers=self.n_workers,
            threads_per_worker=self.threads_per_worker,
            processes=self.processes,
            worker_resources=self.worker_resources,
            timeout=self.connect_timeout,
        ) as client:
            run_on(client, deployment, ship_code=self.ship_code)


def run_on(client: Client, deployment: PipelineDeployment, *, ship_code: bool = True) -> None:
    """Run every step of ``deployment`` as a Dask task on ``client``'s cluster; raise the first step's error."""
    from distributed import Event, as_completed

    from stackyard_dask import shipping, tasks
    from stackyard_dask.cluster import DaskClusterError

    step_resources = {name: deployment.step_resources(name) for name in deployment.steps}
    _check_resources(client, step_resources)
    token = uuid.uuid4().hex
    stop = f"stackyard-stop-{token}"
    # on every worker: a payload held by one worker only would draw every step to it (Dask places tasks by data)
    [payload] = client.scatter([shipping.dumps(deployment, by_value=ship_code)], broadcast=True, hash=False)
    futures = {}
    for name in deployment.steps:  # in dependency order: upstream futures exist already
        upstream = [futures[u] for u in sorted(deployment.upstream_steps(name))]
        futures[name] = client.submit(
            tasks.run_step, token, payload, stop, name, *upstream,
            key=f"stackyard-{name}-{token}", pure=False, resources=step_resources[name] or None,
        )
    names = {future.key: name for name, future in futures.items()}
    failure: tasks.StepFailed | None = None
    try:
        for future in as_completed(list(futures.values()), loop=client.loop):
            if future.status == "finished":
                continue
            name = names[future.key]
            if future.status == "cancelled":  # e.g. the scheduler lost it
                error: BaseException = DaskClusterError(f"Dask cancelled the task of step '{name}' before it ended.")
            else:
                error = future.exception()
            if isinstance(error, tasks.StepFailed):
                failure = failure or error
            elif not isinstance(error, tasks.StepSkipped):  # Dask's own, e.g. KilledWorker: the worker died
                failure = failure or tasks.StepFailed.of(name, error)
    except BaseException:  # Ctrl-C: cancel what has not run yet
        Event(stop, client=client).set()
        client.cancel(list(futures.values()))
        raise
    finally:
        with contextlib.suppress(Exception):  # best effort: the cluster may be what failed
            client.run(tasks.forget, token)
            Event(stop, client=client).clear()
    if failure is not None:
        raise failure.original()  # its cause shows the traceback it had on the worker


def _check_resources(client: Client, step_resources: Mapping[str, Mapping[str, float]]) -> None:
    """Every step's ``@step(resources=...)`` is offered by some worker, else an error naming it (Dask would wait forever).

    ``step_resources`` maps each step's name to what it asks for, in the deployment's step order.
    """
    from stackyard_dask.cluster import DaskClusterError, offered, worker_resources

    asking = {name: resources for name, resources in step_resources.items() if resources}
    if not asking:  # no step asks: no question to the scheduler
        return
    workers = worker_resources(client)  # once for the run, not once per step
    for name, resources in asking.items():
        if not offered(workers, resources):
            asked = ", ".join(f"{k}={v:g}" for k, v in resources.items())
            raise DaskClusterError(
                f"Step '{name}' asks for resources {asked}, which no Dask worker offers; start workers with "
                f"`dask worker ADDRESS --resources \"{asked.replace(', ', ' ')}\"` (or set worker_resources "
                "for a LocalCluster), or lower the step's resources."
            )
