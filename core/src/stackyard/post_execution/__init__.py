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
    from stackyard.repository import Repository
    from stackyard.stack.stack import Stack

__all__ = [
    "ArtifactView",
    "PipelineRunView",
    "PipelineView",
    "StepView",
    "StoreContext",
    "active_context",
    "get_pipeline",
    "get_pipelines",
    "get_run",
    "get_runs",
]


def stack_context(stack: Stack | StoreContext) -> StoreContext:
    """What the functions below read from: a stack, or a :class:`StoreContext` given as is."""
    return stack if isinstance(stack, StoreContext) else StoreContext(stack)


def active_context(repository: Repository, stack_name: str | None = None) -> StoreContext:
    """The context of a stack (default: the active one) that loads only its metadata store up front.

    Its artifact store is loaded the first time an artifact is read, so
    listing runs works even when that store's flavor is not installed.
    """
    return StoreContext.of_stack_name(repository, stack_name or repository.active_stack_name)


def get_pipelines(stack: Stack | StoreContext) -> list[PipelineView]:
    """Every pipeline with runs in ``stack``'s metadata store, oldest first."""
    context = stack_context(stack)
    return [PipelineView(r, context) for r in context.metadata_store.get_pipelines()]


def get_pipeline(stack: Stack | StoreContext, name: str) -> PipelineView:
    """One pipeline by name (``PipelineNotFoundError`` naming those that exist)."""
    context = stack_context(stack)
    pipelines = get_pipelines(context)
    for found in pipelines:
        if found.name == name:
            return found
    names = ", ".join(p.name for p in pipelines) or "none yet"
    raise PipelineNotFoundError(
        f"No pipeline named '{name}' has runs in the metadata store of stack '{context.stack_name}'; "
        f"pipelines with runs: {names}."
    )


def get_runs(stack: Stack | StoreContext, pipeline_name: str | None = None) -> list[PipelineRunView]:
    """Runs (of one pipeline, or all), oldest first."""
    context = stack_context(stack)
    return [PipelineRunView(r, context) for r in context.metadata_store.get_runs(pipeline_name)]


def get_latest_runs(stack: Stack | StoreContext, pipeline_name: str | None = None, limit: int = 50) -> list[PipelineRunView]:
    """The ``limit`` newest runs (of one pipeline, or all), newest first; only those are read."""
    context = stack_context(stack)
    return [PipelineRunView(r, context) for r in context.metadata_store.get_latest_runs(pipeline_name, limit)]


def get_run(stack: Stack | StoreContext, name_or_id: str) -> PipelineRunView:
    """One run by name or id (``RunNotFoundError`` if there is none)."""
    context = stack_context(stack)
    record = context.metadata_store.get_run(name_or_id)
    if record is None:
        raise RunNotFoundError(
            f"No pipeline run named '{name_or_id}' in the metadata store of stack '{context.stack_name}'; "
            "list runs with stackyard pipeline runs."
        )
    return PipelineRunView(record, context)
