"""Reading finished runs back: pipelines, runs, steps and artifacts from a metadata store.

Start from :class:`stackyard.Repository`::

    Repository().get_pipeline("sum_pipeline").runs[-1].get_step("total").output.read()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackyard.exceptions import PipelineNotFoundError, RunNotFoundError
from stackyard.post_execution.artifact import ArtifactView
from stackyard.post_execution.pipeline import PipelineView
from stackyard.post_execution.run import PipelineRunView, StoreContext
from stackyard.post_execution.step import StepView

if TYPE_CHECKING:
    from stackyard.stack.stack import Stack

__all__ = [
    "ArtifactView",
    "PipelineRunView",
    "PipelineView",
    "StepView",
    "get_pipeline",
    "get_pipelines",
    "get_run",
    "get_runs",
]


def get_pipelines(stack: Stack) -> list[PipelineView]:
    """Every pipeline with runs in ``stack``'s metadata store, oldest first."""
    context = StoreContext(stack)
    return [PipelineView(r, context) for r in context.metadata_store.get_pipelines()]


def get_pipeline(stack: Stack, name: str) -> PipelineView:
    """One pipeline by name (``PipelineNotFoundError`` naming those that exist)."""
    pipelines = get_pipelines(stack)
    for found in pipelines:
        if found.name == name:
            return found
    names = ", ".join(p.name for p in pipelines) or "none yet"
    raise PipelineNotFoundError(
        f"No pipeline named '{name}' has runs in the metadata store of stack '{stack.name}'; "
        f"pipelines with runs: {names}."
    )


def get_runs(stack: Stack, pipeline_name: str | None = None) -> list[PipelineRunView]:
    """Runs (of one pipeline, or all), oldest first."""
    context = StoreContext(stack)
    return [PipelineRunView(r, context) for r in context.metadata_store.get_runs(pipeline_name)]


def get_run(stack: Stack, name_or_id: str) -> PipelineRunView:
    """One run by name or id (``RunNotFoundError`` if there is none)."""
    context = StoreContext(stack)
    record = context.metadata_store.get_run(name_or_id)
    if record is None:
        raise RunNotFoundError(
            f"No pipeline run named '{name_or_id}' in the metadata store of stack '{stack.name}'; "
            "list runs with stackyard pipeline runs."
        )
    return PipelineRunView(record, context)
