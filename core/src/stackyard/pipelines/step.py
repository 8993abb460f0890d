"""``@step``: a function whose outputs become artifacts and whose calls form a pipeline's DAG.

Arguments given another step's output are *inputs* (artifacts, loaded by
their materializer); everything else — values written in the pipeline body,
or defaults — are *parameters*, recorded with the run and part of the cache
key. A step has one output named ``output``, several named outputs when its
return type is a ``NamedTuple``, or none when it returns ``None``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Any, overload

from stackyard.exceptions import (
    PipelineDefinitionError,
    StepOutsidePipelineError,
    UnknownParameterError,
)
from stackyard.names import validate_name
from stackyard.pipelines.graph import StepInvocation, StepOutput, StepOutputs, current_builder

SINGLE_OUTPUT = "output"
"""The name of the output of a step that does not declare several."""

_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class Step:
    """A step definition (what ``@step`` makes of a function).

    Call it inside a ``@pipeline`` function to add it to that pipeline; call
    :attr:`entrypoint` to run the plain function, e.g. in a unit test.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        enable_cache: bool = True,
        materializers: type | Mapping[str, type] | None = None,
        on_failure: Callable[[BaseException], Any] | None = None,
        on_success: Callable[[], Any] | None = None,
        retries: int = 0,
        retry_delay: float = 0.0,
        timeout: float | None = None,
        step_operator: str | None = None,
        resources: Mapping[str, float] | None = None,
    ) -> None:
        self.entrypoint = func
        self.name = name or func.__name__
        self.enable_cache = enable_cache
        self.signature = inspect.signature(func)
        for parameter in self.signature.parameters.values():
            if parameter.kind not in _KINDS:
                raise PipelineDefinitionError(
                    f"Step '{self.name}' takes *{parameter.name}; steps take named parameters only."
                )
        validate_name("step", self.name)
        self.output_names, self.output_types, self.output_tuple = _outputs(func, self.name)
        self.materializers = _explicit_materializers(self.name, materializers, self.output_names)
        self.on_failure = _check_hook(self.name, "on_failure", on_failure)
        self.on_success = _check_hook(self.name, "on_success", on_success)
        self.retries, self.retry_delay, self.timeout = _check_execution(self.name, retries, retry_delay, timeout)
        if step_operator is not None:
            validate_name("step operator", step_operator)
        self.step_operator = step_operator
        """The name of the step operator that runs this step (it must be the stack's), or ``None``: the orchestrator."""
        self.resources = _check_resources(self.name, resources)
        """What one run of the step needs (``{"GPU": 1, "memory": 2e9}``): a hint orchestrators may honour."""
        self._source_hash: str | None = None
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    # -- building the DAG ---------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> StepOutput | StepOutputs:
        builder = current_builder()
        if builder is None:
            raise StepOutsidePipelineError(
                f"Step '{self.name}' was called outside a pipeline; call it inside a @pipeline "
                f"function, or call {self.name}.entrypoint(...) to run the plain function."
            )
        graph = builder.graph
        arguments = self._bind(args, kwargs)
        parameters: dict[str, Any] = {}
        inputs: dict[str, tuple[str, str]] = {}
        for key, value in arguments.items():
            if isinstance(value, StepOutputs):
                raise PipelineDefinitionError(
                    f"Step '{self.name}' was given all outputs of step '{value.step_name}' as '{key}'; "
                    f"pass one of them ({', '.join(o.name for o in value) or 'it has none'})."
                )
            if isinstance(value, StepOutput):
                if value._graph is not graph:
                    raise PipelineDefinitionError(
                        f"Step '{self.name}' was given an output of step '{value.step_name}' from another pipeline."
                    )
                inputs[key] = (value.step_name, value.name)
            else:
                parameters[key] = value
        name = graph.unique_name(self.name)
        graph.add(StepInvocation(name, self, parameters, inputs))
        if self.output_tuple is None and self.output_names:
            return StepOutput(graph, name, SINGLE_OUTPUT)
        return StepOutputs(graph, name, self.output_names)

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        plain = self._plain_parameters()
        if plain is not None and len(args) <= len(plain):
            # the common case, bound without inspect (pipelines of thousands of steps build linearly and fast)
            arguments = dict(zip((name for name, _ in plain), args))
            if not any(key in arguments for key in kwargs):
                arguments.update(kwargs)
                for name, default in plain:
                    if name not in arguments and default is not inspect.Parameter.empty:
                        arguments[name] = default
                if len(arguments) == len(plain):
                    return {name: arguments[name] for name, _ in plain}
        return self._bind_checked(args, kwargs)

    def _plain_parameters(self) -> tuple[tuple[str, Any], ...] | None:
        """``(name, default)`` of each parameter if all are plain (positional or keyword), else ``None``."""
        if not hasattr(self, "_plain"):
            kinds = {p.kind for p in self.signature.parameters.values()}
            self._plain = (
                tuple((p.name, p.default) for p in self.signature.parameters.values())
                if kinds <= {inspect.Parameter.POSITIONAL_OR_KEYWORD}
                else None
            )
        return self._plain

    def _bind_checked(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Bind through ``inspect``, naming every unknown, duplicate or missing argument."""
        accepted = list(self.signature.parameters)
        unknown = [k for k in kwargs if k not in self.signature.parameters]
        if unknown:
            raise UnknownParameterError(
                f"Step '{self.name}' has no parameter {', '.join(repr(u) for u in unknown)}; "
                f"it accepts: {', '.join(accepted) or 'nothing'}."
            )
        try:
            bound = self.signature.bind_partial(*args, **kwargs)
        except TypeError as exc:
            raise UnknownParameterError(
                f"Step '{self.name}': {exc}; it accepts: {', '.join(accepted) or 'nothing'}."
            ) from None
        missing = [
            p.name
            for p in self.signature.parameters.values()
            if p.name not in bound.arguments and p.default is inspect.Parameter.empty
        ]
        if missing:
            raise UnknownParameterError(
                f"Step '{self.name}' is missing {', '.join(repr(m) for m in missing)}; pass another "
                "step's output or a value in the pipeline, or give it a default."
            )
        bound.apply_defaults()
        return dict(bound.arguments)

    # -- identity -------------------------------------------------------------

    @property
    def source_hash(self) -> str:
        """A hash of the step's code (its source, else its bytecode): part of the cache key."""
        if self._source_hash is None:
            func = inspect.unwrap(self.entrypoint)
            try:
                code = inspect.getsource(func).encode()
            except (OSError, TypeError):
                code = func.__code__.co_code + repr(func.__code__.co_consts).encode()
            identity = f"{func.__module__}.{func.__qualname__}".encode()
            self._source_hash = hashlib.sha256(identity + b"\0" + code).hexdigest()
        return self._source_hash

    def __reduce__(self) -> Any:
        # pickled by reference, so pipelines can run steps in spawned worker processes
        return _by_reference("Step", self.name, self.entrypoint.__module__, self.__qualname__)

    def __repr__(self) -> str:
        return f"<step '{self.name}' ({self.entrypoint.__module__}.{self.__qualname__})>"

    def split_outputs(self, result: Any) -> dict[str, Any]:
        """The values of each output, from what the function returned."""
        names = self.output_names
        if not names:
            if result is not None:
                kind = type(result)
                what = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
                raise PipelineDefinitionError(
                    f"Step '{self.name}' returned a value ({what}), but its return "
                    "annotation '-> None' says it has no output, so the value would be lost; annotate the "
                    "type it returns (or remove '-> None') to keep it, or return nothing."
                )
            return {}
        if self.output_tuple is None:
            return {SINGLE_OUTPUT: result}
        if not isinstance(result, tuple) or len(result) != len(names):
            raise PipelineDefinitionError(
                f"Step '{self.name}' declares the outputs {', '.join(names)} but returned "
                f"{type(result).__name__}; return a {len(names)}-tuple (or the NamedTuple)."
            )
        return dict(zip(names, result))


def _by_reference(kind: str, name: str, module: str, qualname: str) -> Any:
    """How a step or pipeline pickles: its module and name, to be imported again where unpickled."""
    if "<locals>" in qualname or module == "__main__" and not hasattr(sys.modules.get("__main__"), "__file__"):
        import pickle

        raise pickle.PicklingError(
            f"{kind} '{name}' is defined inside a function, so other processes cannot import it; "
            "define it at module level, or run with start_method 'fork'."
        )
    return (_import_step, (module, qualname))


def _import_step(module: str, qualname: str) -> Any:
    import importlib

    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _check_execution(
    name: str, retries: Any, retry_delay: Any, timeout: Any
) -> tuple[int, float, float | None]:
    """``retries``, ``retry_delay`` and ``timeout`` checked: a bad one is a :class:`PipelineDefinitionError`."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise PipelineDefinitionError(f"Step '{name}': retries must be a whole number of 0 or more, not {retries!r}.")
    for what, value in (("retry_delay", retry_delay), ("timeout", timeout)):
        if value is None and what == "timeout":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (what == "timeout" and value == 0):
            limit = "more than 0" if what == "timeout" else "0 or more"
            raise PipelineDefinitionError(f"Step '{name}': {what} must be a number of seconds, {limit}, not {value!r}.")
    return retries, float(retry_delay), None if timeout is None else float(timeout)


def _check_resources(name: str, resources: Any) -> dict[str, float]:
    """``resources`` checked: names are identifiers, values numbers of 0 or more; else a :class:`PipelineDefinitionError`."""
    if resources is None:
        return {}
    if not isinstance(resources, Mapping):
        raise PipelineDefinitionError(f"Step '{name}': resources must be a dict such as {{'GPU': 1}}, not {resources!r}.")
    checked: dict[str, float] = {}
    for key, value in resources.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise PipelineDefinitionError(f"Step '{name}': resource name {key!r} must be an identifier such as 'GPU'.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
            raise PipelineDefinitionError(
                f"Step '{name}': resource '{key}' must be a number of 0 or more, not {value!r}."
            )
        checked[key] = float(value)
    return checked


def _check_hook(owner: str, kind: str, hook: Callable[..., Any] | None) -> Callable[..., Any] | None:
    if hook is not None and not callable(hook):
        raise PipelineDefinitionError(f"'{owner}': {kind} must be a function, not {hook!r}.")
    return hook


def _outputs(func: Callable[..., Any], name: str) -> tuple[tuple[str, ...], dict[str, Any], type | None]:
    """Output names, their annotated types, and the NamedTuple class if several are declared."""
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - unresolvable annotations: treat the return as untyped
        hints = getattr(func, "__annotations__", {})
    if "return" not in hints:
        return (SINGLE_OUTPUT,), {SINGLE_OUTPUT: Any}, None
    returned = hints["return"]
    if returned is None or returned is type(None):
        return (), {}, None
    if isinstance(returned, type) and issubclass(returned, tuple) and hasattr(returned, "_fields"):
        fields = tuple(returned._fields)
        if not fields:
            raise PipelineDefinitionError(f"Step '{name}' returns a NamedTuple without fields.")
        annotations = typing.get_type_hints(returned) if hasattr(returned, "__annotations__") else {}
        types = {field: annotations.get(field, Any) for field in fields}
        return fields, types, returned
    return (SINGLE_OUTPUT,), {SINGLE_OUTPUT: returned}, None


def _explicit_materializers(
    name: str, materializers: type | Mapping[str, type] | None, outputs: tuple[str, ...]
) -> dict[str, type]:
    from stackyard.materializers.base_materializer import BaseMaterializer

    if materializers is None:
        return {}
    chosen = {o: materializers for o in outputs} if isinstance(materializers, type) else dict(materializers)
    for output, cls in chosen.items():
        if output not in outputs:
            raise PipelineDefinitionError(
                f"Step '{name}' sets a materializer for output '{output}', which it does not have; "
                f"its outputs are: {', '.join(outputs) or 'none'}."
            )
        if not (isinstance(cls, type) and issubclass(cls, BaseMaterializer)):
            raise PipelineDefinitionError(
                f"Step '{name}': the materializer for '{output}' must subclass "
                f"stackyard.materializers.BaseMaterializer, not {cls!r}."
            )
    return chosen


@overload
def step(func: Callable[..., Any], /) -> Step: ...


@overload
def step(
    *,
    name: str | None = None,
    enable_cache: bool = True,
    materializers: type | Mapping[str, type] | None = None,
    on_failure: Callable[[BaseException], Any] | None = None,
    on_success: Callable[[], Any] | None = None,
    retries: int = 0,
    retry_delay: float = 0.0,
    timeout: float | None = None,
    step_operator: str | None = None,
    resources: Mapping[str, float] | None = None,
) -> Callable[[Callable[..., Any]], Step]: ...


def step(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    enable_cache: bool = True,
    materializers: type | Mapping[str, type] | None = None,
    on_failure: Callable[[BaseException], Any] | None = None,
    on_success: Callable[[], Any] | None = None,
    retries: int = 0,
    retry_delay: float = 0.0,
    timeout: float | None = None,
    step_operator: str | None = None,
    resources: Mapping[str, float] | None = None,
) -> Step | Callable[[Callable[..., Any]], Step]:
    """Make a function a pipeline step: ``@step`` or ``@step(name=..., enable_cache=False, materializers=...)``.

    ``materializers`` is one materializer class for every output, or a dict
    from output name to class; other outputs get one chosen by their type.
    ``on_failure(exception)`` runs when the step fails, ``on_success()`` when it
    completes; both run in the step's process, where ``get_step_context()`` works.
    ``retries=N`` runs a failing step up to N more times, ``retry_delay`` seconds
    apart; ``timeout`` stops an attempt after that many seconds (see
    :mod:`stackyard.pipelines.timeouts` for how). ``step_operator="gpu"`` hands the
    step to the stack's step operator, which must be named ``gpu``.
    ``resources={"GPU": 1, "memory": 2e9}`` says what one run of the step needs:
    orchestrators that schedule on a cluster (``dask``) honour it, the local one ignores it.
    """
    if func is not None:
        return Step(func)

    def decorate(function: Callable[..., Any]) -> Step:
        return Step(
            function, name=name, enable_cache=enable_cache, materializers=materializers,
            on_failure=on_failure, on_success=on_success, retries=retries, retry_delay=retry_delay,
            timeout=timeout, step_operator=step_operator, resources=resources,
        )

    return decorate
