"""Hook implementations registering the Dask flavors (entry point ``dask``)."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_orchestrator_flavors() -> list[type]:
    from stackyard_dask.orchestrator import DaskOrchestrator

    return [DaskOrchestrator]


@hookimpl
def stackyard_step_operator_flavors() -> list[type]:
    from stackyard_dask.step_operator import DaskStepOperator

    return [DaskStepOperator]
