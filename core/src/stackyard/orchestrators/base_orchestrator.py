"""The orchestrator base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent

if TYPE_CHECKING:
    from stackyard.stack.stack import Stack


class BaseOrchestrator(StackComponent):
    """Runs the steps of a pipeline, in dependency order, on some compute."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.ORCHESTRATOR

    @abstractmethod
    def run_pipeline(
        self, pipeline: Any, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> Any:
        """Execute every step of ``pipeline`` on ``stack`` and return the run's record."""
