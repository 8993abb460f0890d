"""The ``dask`` step operator beyond the conformance suite: resources, and a stack whose orchestrator is Dask too."""

from __future__ import annotations

import os
import uuid

import pytest

from stackyard.exceptions import PipelineRunFailedError
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard.testing.sample_pipelines import OPERATOR_NAME, operated
from stackyard_dask.cluster import DaskClusterError
from stackyard_dask.step_operator import DaskStepOperator


def with_operator(stack: Stack, operator: DaskStepOperator) -> Stack:
    return Stack("operated", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, step_operator=operator)


def test_an_operated_step_runs_on_a_worker_offering_its_resources(dask_stack: Stack, dask_address: str) -> None:
    stack = with_operator(dask_stack, DaskStepOperator(name=OPERATOR_NAME, address=dask_address, resources={"GPU": 1}))
    run = operated(n=2).run(stack=stack, run_name=f"op-{uuid.uuid4().hex[:8]}")
    assert run.status is ExecutionStatus.COMPLETED
    assert run.get_step("operated_step").output.read()["pid"] != os.getpid()
    assert run.get_step("unwrap").output.read() == 20


def test_resources_no_worker_offers_fail_the_run_naming_the_operator(dask_stack: Stack, dask_address: str) -> None:
    stack = with_operator(dask_stack, DaskStepOperator(name=OPERATOR_NAME, address=dask_address, resources={"TPU": 8}))
    with pytest.raises(PipelineRunFailedError) as caught:
        operated(n=2).run(stack=stack, run_name=f"op-{uuid.uuid4().hex[:8]}")
    assert isinstance(caught.value.__cause__, DaskClusterError)
    assert f"Step operator '{OPERATOR_NAME}' asks for resources" in str(caught.value.__cause__)
