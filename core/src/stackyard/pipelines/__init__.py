"""Pipelines: ``@step`` and ``@pipeline``, and running them on a stack.

::

    from stackyard import pipeline, step

    @step
    def make_numbers(count: int = 3) -> list:
        return list(range(count))

    @step
    def total(numbers: list) -> int:
        return sum(numbers)

    @pipeline
    def sum_pipeline(count: int = 3):
        total(make_numbers(count=count))

    run = sum_pipeline(count=5).run()
"""

from stackyard.pipelines.deployment import PipelineDeployment
from stackyard.pipelines.graph import StepOutput, StepOutputs
from stackyard.pipelines.pipeline import Pipeline, PipelineInstance, pipeline
from stackyard.pipelines.runtime import RuntimeConfiguration, UnknownRuntimeOptionWarning
from stackyard.pipelines.status import ExecutionStatus
from stackyard.pipelines.step import Step, step
from stackyard.pipelines.step_errors import StepError

__all__ = [
    "ExecutionStatus",
    "Pipeline",
    "PipelineDeployment",
    "PipelineInstance",
    "RuntimeConfiguration",
    "Step",
    "StepError",
    "StepOutput",
    "StepOutputs",
    "UnknownRuntimeOptionWarning",
    "pipeline",
    "step",
]
