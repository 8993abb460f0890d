"""What the components' lifecycle hooks receive: which run and step, and how it ended.

Since Stackyard 0.2 the hooks are called as::

    prepare_pipeline_run(info: PipelineRunInfo)
    prepare_step_run(info: StepRunInfo)
    cleanup_step_run(info: StepRunInfo, outcome: Outcome)
    cleanup_pipeline_run(info: PipelineRunInfo, outcome: Outcome)

A flavor still overriding one of them without parameters (the 0.1 form)
keeps working for this release: the hook is called without arguments and a
:class:`DeprecationWarning` names the new signature. An override taking some
but not all of the new parameters is refused with a
:class:`~stackyard.exceptions.StackyardError` naming the signature to use.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import attrs

from stackyard.exceptions import StackyardError
from stackyard.pipelines.status import ExecutionStatus

SIGNATURES = {
    "prepare_pipeline_run": "prepare_pipeline_run(self, info: PipelineRunInfo)",
    "prepare_step_run": "prepare_step_run(self, info: StepRunInfo)",
    "cleanup_step_run": "cleanup_step_run(self, info: StepRunInfo, outcome: Outcome)",
    "cleanup_pipeline_run": "cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome)",
}
"""The signature of each lifecycle hook that receives information, as error messages show it."""


@attrs.frozen
class PipelineRunInfo:
    """Which run a run-level hook is called for."""

    pipeline_name: str
    run_name: str
    run_id: str


@attrs.frozen
class StepRunInfo:
    """Which step of which run a step-level hook is called for."""

    pipeline_name: str
    run_name: str
    run_id: str
    step_name: str
    attempt: int = 1
    """1 for the first try of the step, 2 for its first retry, ..."""


@attrs.frozen
class Outcome:
    """How a step or run ended: ``completed``, ``cached`` (runs only) or ``failed`` with its exception."""

    status: ExecutionStatus
    exception: BaseException | None = None

    @property
    def failed(self) -> bool:
        """Whether the step or run failed (then :attr:`exception` says why)."""
        return self.status is ExecutionStatus.FAILED


def call_hook(component: Any, method: str, *args: Any) -> Any:
    """Call lifecycle hook ``method`` of ``component`` with ``args``, or the 0.1 way (no arguments)."""
    hook = getattr(component, method)
    if _accepts(hook, len(args)):
        return hook(*args)
    if _accepts(hook, 0):
        owner = f"{type(component).__module__}.{type(component).__qualname__}"
        warnings.warn(
            f"{owner}.{method}() takes no arguments; it is now called as {SIGNATURES[method]} "
            "(stackyard.pipelines.hooks). Add the parameters: the old form stops working in the next release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return hook()
    raise StackyardError(
        f"{type(component).__qualname__}.{method} has a signature Stackyard cannot call; "
        f"define it as {SIGNATURES[method]}."
    )


def _accepts(hook: Callable[..., Any], count: int) -> bool:
    function = getattr(hook, "__func__", hook)
    try:
        least, most = _positional_range(function, bound=hasattr(hook, "__self__"))
    except (TypeError, ValueError):  # no signature to read (a builtin): just try it
        return True
    return least <= count <= most


@functools.lru_cache(maxsize=512)
def _positional_range(function: Callable[..., Any], *, bound: bool) -> tuple[int, float]:
    """How many positional arguments ``function`` takes (least, most), ``self`` left out when bound."""
    least, most = 0, 0.0
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            most = float("inf")
        elif parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            most += 1
            if parameter.default is inspect.Parameter.empty:
                least += 1
    if bound:
        least, most = max(least - 1, 0), max(most - 1, 0)
    return least, most


def run_user_hook(hook: Callable[..., Any] | None, args: tuple[Any, ...], *, what: str, warn: Callable[[str], None]) -> None:
    """Call a user's ``on_failure``/``on_success`` hook; an error is passed to ``warn``, never raised."""
    if hook is None:
        return
    try:
        hook(*args)
    except Exception as exc:  # noqa: BLE001 - a broken hook must not hide the step's own outcome
        import traceback

        line = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
        warn(f"{what} hook {getattr(hook, '__qualname__', repr(hook))} raised {line}")


def record_warning(store: Any, run_id: str, step_id: str | None, text: str) -> None:
    """Log ``text`` and add it to the ``warnings`` metadata of the step (or run, if ``step_id`` is ``None``)."""
    import logging

    logging.getLogger("stackyard").warning("%s", text)
    try:
        warnings_so_far = list(store.get_metadata(run_id, step_id).get("warnings") or [])
        store.add_metadata(run_id, step_id, {"warnings": [*warnings_so_far, text]})
    except Exception as exc:  # noqa: BLE001 - the warning is logged already
        logging.getLogger("stackyard").debug("Could not record the warning: %s", exc)
