"""The Dask flavors pass Stackyard's conformance suites on the session's cluster."""

from __future__ import annotations

import pytest

from stackyard.testing import OrchestratorConformance, StepOperatorConformance
from stackyard_dask.orchestrator import DaskOrchestrator
from stackyard_dask.step_operator import DaskStepOperator


class TestDaskOrchestrator(OrchestratorConformance):
    @pytest.fixture
    def orchestrator(self, dask_address: str) -> DaskOrchestrator:
        return DaskOrchestrator(name="dask", address=dask_address)


class TestDaskStepOperator(StepOperatorConformance):
    @pytest.fixture
    def step_operator(self, dask_address: str) -> DaskStepOperator:
        return DaskStepOperator(name="dask", address=dask_address)
