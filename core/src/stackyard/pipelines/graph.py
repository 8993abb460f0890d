"""The DAG of a pipeline: one invocation per step call, edges from the data passed between them.

A ``@pipeline`` function is run once, when its parameters are bound, with a
:class:`GraphBuilder` active; every step call inside it adds a
:class:`StepInvocation` and returns handles to its outputs
(:class:`StepOutput`), which later calls take as inputs.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import PipelineCycleError, PipelineDefinitionError, StepOutputNotFoundError

if TYPE_CHECKING:
    from stackyard.pipelines.step import Step

_builder: contextvars.ContextVar[GraphBuilder | None] = contextvars.ContextVar("stackyard_graph", default=None)


class StepInvocation:
    """One call of a step in a pipeline: its unique name, parameters, inputs and upstream steps."""

    __slots__ = ("name", "step", "parameters", "inputs", "after")

    def __init__(self, name: str, step: Step, parameters: dict[str, Any], inputs: dict[str, tuple[str, str]]) -> None:
        self.name = name
        self.step = step
        self.parameters = parameters
        self.inputs = inputs
        """Argument name -> (producing step name, output name)."""
        self.after: set[str] = set()
        """Steps this one must wait for without taking their data (``.after()``)."""

    @property
    def upstream(self) -> frozenset[str]:
        """Names of every step that must finish before this one starts."""
        return frozenset(self.after | {producer for producer, _ in self.inputs.values()})

    def __repr__(self) -> str:
        return f"StepInvocation({self.name!r}, upstream={sorted(self.upstream)})"


class PipelineGraph:
    """The steps of one pipeline instance, in call order and in dependency order."""

    def __init__(self, pipeline_name: str) -> None:
        self.pipeline_name = pipeline_name
        self.invocations: dict[str, StepInvocation] = {}
        self._order: list[str] | None = None
        self._upstream: dict[str, frozenset[str]] = {}
        self._next_number: dict[str, int] = {}
        """Per base name, the number to try first for its next twin: naming stays linear."""

    def __getitem__(self, name: str) -> StepInvocation:
        return self.invocations[name]

    def __iter__(self) -> Iterator[StepInvocation]:
        return iter(self.invocations.values())

    def __len__(self) -> int:
        return len(self.invocations)

    def unique_name(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``, ... if a step of that name is already in the graph."""
        if base not in self.invocations:
            return base
        number = self._next_number.get(base, 2)
        while f"{base}_{number}" in self.invocations:
            number += 1
        self._next_number[base] = number + 1
        return f"{base}_{number}"

    def add(self, invocation: StepInvocation) -> None:
        self.invocations[invocation.name] = invocation
        self._order = None

    def upstream(self, name: str) -> frozenset[str]:
        """The steps that must finish before step ``name`` starts."""
        if self._order is None:
            self.order()
        return self._upstream[name]

    def order(self) -> list[str]:
        """Step names in an order where every step comes after its upstream steps (call order kept)."""
        if self._order is not None:
            return self._order
        self._upstream = {name: inv.upstream for name, inv in self.invocations.items()}
        position = {name: i for i, name in enumerate(self.invocations)}
        downstream: dict[str, list[str]] = {name: [] for name in self.invocations}
        waiting = {name: len(up) for name, up in self._upstream.items()}
        for name, up in self._upstream.items():
            for producer in up:
                downstream[producer].append(name)
        order: list[str] = []
        ready = [name for name in self.invocations if not waiting[name]]
        while ready:  # in waves, each in call order
            order.extend(ready)
            unblocked = []
            for name in ready:
                for child in downstream[name]:
                    waiting[child] -= 1
                    if not waiting[child]:
                        unblocked.append(child)
            ready = sorted(unblocked, key=position.__getitem__)
        if len(order) < len(self.invocations):
            stuck = {name: set(self._upstream[name]) - set(order) for name in self.invocations if waiting[name]}
            raise PipelineCycleError(
                f"Pipeline '{self.pipeline_name}' has a cycle between steps "
                + ", ".join(repr(n) for n in _cycle(stuck))
                + "; remove one of the .after() calls that close it."
            )
        self._order = order
        return order


def _cycle(remaining: dict[str, set[str]]) -> list[str]:
    """One cycle among steps that all still wait for something."""
    path: list[str] = []
    node = next(iter(remaining))
    while node not in path:
        path.append(node)
        node = next(iter(sorted(remaining[node])))
    return path[path.index(node):] + [node]


class StepOutput:
    """A handle to one output of a step call, given to other steps as their input."""

    __slots__ = ("_graph", "step_name", "name")

    def __init__(self, graph: PipelineGraph, step_name: str, name: str) -> None:
        self._graph = graph
        self.step_name = step_name
        self.name = name

    def after(self, *others: StepOutput | StepOutputs) -> StepOutput:
        """Run this output's step only after the steps of ``others`` (no data passed)."""
        _add_after(self._graph, self.step_name, others)
        return self

    def __iter__(self) -> Iterator[Any]:
        raise PipelineDefinitionError(
            f"Step '{self.step_name}' has a single output; declare a NamedTuple return type to unpack several."
        )

    def __getattr__(self, name: str) -> StepOutput:
        # only called for names that are not attributes: an output picked by name, as on StepOutputs
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, key: Any) -> StepOutput:
        if key == self.name:
            return self
        what = f"no output named '{key}'" if isinstance(key, str) else f"no output {key!r}"
        raise StepOutputNotFoundError(
            f"Step '{self.step_name}' has {what}; it has a single output, '{self.name}': pass what the step "
            "call returned as it is, or declare a NamedTuple return type for several outputs."
        )

    def __repr__(self) -> str:
        return f"<output '{self.name}' of step '{self.step_name}'>"


class StepOutputs(tuple):  # type: ignore[type-arg]
    """The outputs of a step with several (or no) outputs: unpack them, or use ``.name`` / ``["name"]``."""

    step_name: str
    _graph: PipelineGraph

    def __new__(cls, graph: PipelineGraph, step_name: str, names: tuple[str, ...]) -> StepOutputs:
        self = super().__new__(cls, tuple(StepOutput(graph, step_name, n) for n in names))
        self.step_name = step_name
        self._graph = graph
        return self

    def __getattr__(self, name: str) -> StepOutput:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            for output in self:
                if output.name == key:
                    return output
            names = ", ".join(o.name for o in self) or "none"
            raise StepOutputNotFoundError(
                f"Step '{self.step_name}' has no output named '{key}'; its outputs are: {names}."
            )
        return super().__getitem__(key)

    def after(self, *others: StepOutput | StepOutputs) -> StepOutputs:
        """Run this step only after the steps of ``others`` (no data passed)."""
        _add_after(self._graph, self.step_name, others)
        return self

    def __repr__(self) -> str:
        return f"<outputs ({', '.join(o.name for o in self)}) of step '{self.step_name}'>"


def _add_after(graph: PipelineGraph, step_name: str, others: tuple[Any, ...]) -> None:
    for other in others:
        if not isinstance(other, (StepOutput, StepOutputs)):
            raise PipelineDefinitionError(
                f"Step '{step_name}'.after() takes what other step calls returned, not {other!r}."
            )
        if other._graph is not graph:
            raise PipelineDefinitionError(
                f"Step '{step_name}'.after() was given step '{other.step_name}' of another pipeline."
            )
        graph.invocations[step_name].after.add(other.step_name)
    graph._order = None


class GraphBuilder:
    """Collects the step calls of a pipeline function while it runs."""

    def __init__(self, pipeline_name: str) -> None:
        self.graph = PipelineGraph(pipeline_name)

    def __enter__(self) -> GraphBuilder:
        if _builder.get() is not None:
            raise PipelineDefinitionError(
                f"Pipeline '{self.graph.pipeline_name}' was called inside another pipeline; "
                "call its steps directly instead."
            )
        self._token = _builder.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _builder.reset(self._token)


def current_builder() -> GraphBuilder | None:
    """The graph being built, if a pipeline function is running."""
    return _builder.get()
