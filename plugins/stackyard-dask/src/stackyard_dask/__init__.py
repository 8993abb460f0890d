"""Stackyard on Dask: the ``dask`` orchestrator (every step a Dask task) and the ``dask`` step operator.

Importing this package imports no Dask: ``distributed`` is imported only when a run starts.
"""

from __future__ import annotations

__all__ = ["DaskOrchestrator", "DaskStepOperator"]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard_dask.orchestrator import DaskOrchestrator
    from stackyard_dask.step_operator import DaskStepOperator


def __getattr__(name: str) -> Any:
    if name == "DaskOrchestrator":
        from stackyard_dask.orchestrator import DaskOrchestrator

        return DaskOrchestrator
    if name == "DaskStepOperator":
        from stackyard_dask.step_operator import DaskStepOperator

        return DaskStepOperator
    raise AttributeError(f"module 'stackyard_dask' has no attribute {name!r}")
