"""``@pipeline``: a function that calls steps; calling it binds parameters and builds the DAG."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from stackyard.exceptions import PipelineDefinitionError, UnknownParameterError
from stackyard.names import validate_name
from stackyard.pipelines.graph import GraphBuilder, PipelineGraph

if TYPE_CHECKING:
    from stackyard.post_execution import PipelineRunView
    from stackyard.stack.stack import Stack


class Pipeline:
    """A pipeline definition (what ``@pipeline`` makes of a function).

    ``my_pipeline(param=value)`` gives a :class:`PipelineInstance`; its
    ``run(**runtime_configuration)`` runs it on the active stack.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        enable_cache: bool = True,
        on_failure: Callable[[BaseException], Any] | None = None,
        on_success: Callable[[], Any] | None = None,
    ) -> None:
        from stackyard.pipelines.step import _check_hook

        self.entrypoint = func
        self.name = validate_name("pipeline", name or func.__name__)
        self.enable_cache = enable_cache
        self.on_failure = _check_hook(self.name, "on_failure", on_failure)
        self.on_success = _check_hook(self.name, "on_success", on_success)
        self.signature = inspect.signature(func)
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineInstance:
        return PipelineInstance(self, self._bind(args, kwargs))

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        accepted = ", ".join(self.signature.parameters) or "nothing"
        unknown = [k for k in kwargs if k not in self.signature.parameters]
        if unknown:
            raise UnknownParameterError(
                f"Pipeline '{self.name}' has no parameter {', '.join(repr(u) for u in unknown)}; "
                f"it accepts: {accepted}."
            )
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise UnknownParameterError(f"Pipeline '{self.name}': {exc}; it accepts: {accepted}.") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def __reduce__(self) -> Any:
        # pickled by reference, so a deployment can be sent to spawned worker processes
        from stackyard.pipelines.step import _by_reference

        return _by_reference("Pipeline", self.name, self.entrypoint.__module__, self.__qualname__)

    def run(self, **options: Any) -> PipelineRunView:
        """Run the pipeline with its default parameters: ``pipeline().run(**options)``."""
        return self().run(**options)

    def __repr__(self) -> str:
        return f"<pipeline '{self.name}'>"


class PipelineInstance:
    """A pipeline with its parameters bound and its DAG built, ready to run."""

    def __init__(self, pipeline: Pipeline, parameters: dict[str, Any]) -> None:
        self.pipeline = pipeline
        self.parameters = parameters
        with GraphBuilder(pipeline.name) as builder:
            pipeline.entrypoint(**parameters)
        self.graph: PipelineGraph = builder.graph
        if not len(self.graph):
            raise PipelineDefinitionError(
                f"Pipeline '{pipeline.name}' calls no step; call at least one @step function in its body."
            )
        self.graph.order()  # a cycle is an error now, not when it runs

    @property
    def name(self) -> str:
        """The pipeline's name."""
        return self.pipeline.name

    @property
    def enable_cache(self) -> bool:
        """Whether the pipeline allows caching at all (``@pipeline(enable_cache=False)``)."""
        return self.pipeline.enable_cache

    @property
    def steps(self) -> list[str]:
        """Step names in dependency order."""
        return self.graph.order()

    def run(
        self,
        *,
        stack: Stack | None = None,
        run_name: str | None = None,
        enable_cache: bool | None = None,
        progress: bool | None = None,
        **runtime_configuration: Any,
    ) -> PipelineRunView:
        """Run on ``stack`` (default: the active one) and return the finished run.

        Every other keyword is a runtime option handed to every stack component.
        ``enable_cache=False`` re-runs every step; a failing step's exception
        is re-raised after the run is recorded as failed. A line per step goes
        to stderr while it runs; ``progress=False`` (or the environment variable
        ``STACKYARD_PROGRESS=0``) silences it.
        """
        from stackyard.pipelines.runner import run_pipeline

        return run_pipeline(
            self, stack=stack, run_name=run_name, enable_cache=enable_cache, options=runtime_configuration,
            progress=progress,
        )

    def __repr__(self) -> str:
        return f"<pipeline '{self.name}' with {len(self.graph)} steps>"


@overload
def pipeline(func: Callable[..., Any], /) -> Pipeline: ...


@overload
def pipeline(
    *,
    name: str | None = None,
    enable_cache: bool = True,
    on_failure: Callable[[BaseException], Any] | None = None,
    on_success: Callable[[], Any] | None = None,
) -> Callable[[Callable[..., Any]], Pipeline]: ...


def pipeline(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool = True,
    on_failure: Callable[[BaseException], Any] | None = None,
    on_success: Callable[[], Any] | None = None,
) -> Pipeline | Callable[[Callable[..., Any]], Pipeline]:
    """Make a function that calls steps a pipeline: ``@pipeline`` or ``@pipeline(name=..., enable_cache=False)``.

    ``on_failure(exception)`` runs when a run fails (with the failing step's
    exception), ``on_success()`` when it completes; both run in the process
    that called ``run()``, after the components' ``cleanup_pipeline_run``.
    """
    if func is not None:
        return Pipeline(func)

    def decorate(function: Callable[..., Any]) -> Pipeline:
        return Pipeline(function, name=name, enable_cache=enable_cache, on_failure=on_failure, on_success=on_success)

    return decorate
