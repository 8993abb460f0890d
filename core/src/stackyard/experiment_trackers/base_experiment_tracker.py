"""The experiment tracker base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseExperimentTracker(StackComponent):
    """Logs the parameters and metrics of experiments, linked to pipeline runs."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.EXPERIMENT_TRACKER

    @abstractmethod
    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record parameters of the current experiment run."""

    @abstractmethod
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Record metric values, optionally at a training step."""
