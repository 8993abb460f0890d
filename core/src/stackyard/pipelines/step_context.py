"""``get_step_context()``: what a running step (and the components' hooks around it) can know.

::

    from stackyard import get_step_context, step

    @step
    def train(data: list) -> float:
        context = get_step_context()
        tracker = context.stack.experiment_tracker  # the instance whose hooks ran for this run
        context.add_metadata(rows=len(data))        # shown by `stackyard pipeline run-describe`
        ...

The context is set in the process (and thread) that runs the step, from just
before the components' ``prepare_step_run`` until after their
``cleanup_step_run``, so hooks can use it too. :func:`get_run_context` is
available for the whole run in the orchestrating process (run-level hooks
included) and inside steps.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import StackyardError

if TYPE_CHECKING:
    from stackyard.pipelines.hooks import PipelineRunInfo, StepRunInfo
    from stackyard.stack.stack import Stack

_RUN: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("stackyard_run_context", default=None)
_STEP: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar("stackyard_step_context", default=None)


class OutsideStepError(StackyardError):
    """``get_step_context()`` (or ``get_run_context()``) was called where no step (or run) is running."""


class RunContext:
    """The run being executed: its names, and the stack whose components' hooks ran for it."""

    def __init__(self, pipeline_name: str, run_name: str, run_id: str, stack: Stack) -> None:
        self.pipeline_name = pipeline_name
        self.run_name = run_name
        self.run_id = run_id
        self.stack = stack
        """The component instances prepared for this run (in this process)."""

    @property
    def info(self) -> PipelineRunInfo:
        """The run's names, as the run-level hooks receive them."""
        from stackyard.pipelines.hooks import PipelineRunInfo

        return PipelineRunInfo(self.pipeline_name, self.run_name, self.run_id)

    def add_run_metadata(self, **values: Any) -> None:
        """Record JSON values (e.g. a tracker's run URL) on the run, in the metadata store."""
        store = self.stack.metadata_store
        assert store is not None
        store.add_metadata(self.run_id, None, values)


class StepContext(RunContext):
    """The step being executed: :class:`RunContext` plus the step, its parameters and output URIs."""

    def __init__(
        self,
        run: RunContext,
        step_name: str,
        step_id: str,
        parameters: Mapping[str, Any],
        output_artifact_uris: Mapping[str, str],
        attempt: int = 1,
    ) -> None:
        super().__init__(run.pipeline_name, run.run_name, run.run_id, run.stack)
        self.step_name = step_name
        self.step_id = step_id
        self.parameters = dict(parameters)
        """The step's parameters (not its inputs), as the step function receives them."""
        self.output_artifact_uris = dict(output_artifact_uris)
        """Where each output of this step is written in the artifact store, by output name."""
        self.attempt = attempt
        """1 for the first try, 2 for the first retry, ..."""

    @property
    def step_info(self) -> StepRunInfo:
        """The step's names, as the step-level hooks receive them."""
        from stackyard.pipelines.hooks import StepRunInfo

        return StepRunInfo(self.pipeline_name, self.run_name, self.run_id, self.step_name, self.attempt)

    def add_metadata(self, **values: Any) -> None:
        """Record JSON values (e.g. an experiment tracker's run id) on this step, in the metadata store."""
        store = self.stack.metadata_store
        assert store is not None
        store.add_metadata(self.run_id, self.step_id, values)

    def __repr__(self) -> str:
        return f"<step context '{self.step_name}' of run '{self.run_name}'>"


def get_step_context() -> StepContext:
    """The context of the step running in this thread; :class:`OutsideStepError` outside a step."""
    context = _STEP.get()
    if context is None:
        raise OutsideStepError(
            "get_step_context() was called outside a running step; call it inside a @step function "
            "(or a component's step hook) while a pipeline runs."
        )
    return context


def get_run_context() -> RunContext:
    """The context of the run being executed here; :class:`OutsideStepError` outside a run."""
    context = _STEP.get() or _RUN.get()
    if context is None:
        raise OutsideStepError(
            "get_run_context() was called outside a pipeline run; call it in a step or a component's hook."
        )
    return context


@contextmanager
def active(context: RunContext) -> Iterator[RunContext]:
    """Make ``context`` the current run (or step, for a :class:`StepContext`) context while the block runs."""
    variable: contextvars.ContextVar[Any] = _STEP if isinstance(context, StepContext) else _RUN
    token = variable.set(context)
    try:
        yield context
    finally:
        variable.reset(token)
