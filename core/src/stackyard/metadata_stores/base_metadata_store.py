"""The metadata store base abstraction: the record of pipelines, runs, steps and artifacts."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseMetadataStore(StackComponent):
    """Tracks what ran: pipelines, their runs, the steps of each run and their artifacts.

    Records are plain dicts so that any back end (SQL, a REST service, ...) can
    store them; the pipeline layer builds its typed views on top.
    """

    TYPE: ClassVar[StackComponentType] = StackComponentType.METADATA_STORE

    @abstractmethod
    def create_run(
        self,
        pipeline_name: str,
        run_name: str,
        *,
        stack: Mapping[str, Any],
        runtime_configuration: Mapping[str, Any],
    ) -> str:
        """Record a new run (status ``running``) and return its id."""

    @abstractmethod
    def finish_run(self, run_id: str, status: str) -> None:
        """Set a run's final status and end time."""

    @abstractmethod
    def record_step(self, run_id: str, step: Mapping[str, Any]) -> str:
        """Record or update one step of a run; return the step's id."""

    @abstractmethod
    def record_artifact(self, step_id: str, artifact: Mapping[str, Any]) -> str:
        """Record an artifact a step produced (or read as input); return its id."""

    @abstractmethod
    def get_pipelines(self) -> list[dict[str, Any]]:
        """Every pipeline that has runs, oldest first."""

    @abstractmethod
    def get_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        """Runs (of one pipeline, or all), oldest first."""

    @abstractmethod
    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        """One run by name or id, or ``None``."""

    @abstractmethod
    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        """The steps of a run, in the order they started."""

    @abstractmethod
    def get_artifacts(self, step_id: str) -> list[dict[str, Any]]:
        """The artifacts a step produced and consumed."""
