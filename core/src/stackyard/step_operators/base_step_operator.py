"""The step operator base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseStepOperator(StackComponent):
    """Runs an individual step somewhere special (a GPU machine, a managed service)."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.STEP_OPERATOR

    @abstractmethod
    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        """Run ``entrypoint`` (a command executing the step) and wait for it to finish."""
