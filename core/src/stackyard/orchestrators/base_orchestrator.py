"""The orchestrator base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment
    from stackyard.stack.stack import Stack


class BaseOrchestrator(StackComponent):
    """Runs the steps of a pipeline, in dependency order, on some compute."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.ORCHESTRATOR

    @abstractmethod
    def run_pipeline(
        self, deployment: PipelineDeployment, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> None:
        """Run every step of ``deployment``.

        Call ``deployment.run_step(name)`` once for each name in
        ``deployment.steps``, only after every step in
        ``deployment.upstream_steps(name)`` has returned. Independent steps
        may run concurrently, also in other processes (the deployment is
        picklable). When a step raises, start no further steps, wait for the
        running ones, and let that exception out.
        """
