"""Stackyard: describe where ML pipelines run as stacks of pluggable components.

Only the names below are exported; they are imported on first use so that
``import stackyard`` stays cheap for plugin modules and the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Repository", "SecretField", "get_run_context", "get_step_context", "hookimpl", "pipeline", "step", "__version__"]

if TYPE_CHECKING:
    from stackyard.plugins.hookspecs import hookimpl
    from stackyard.pipelines import pipeline, step
    from stackyard.pipelines.step_context import get_run_context, get_step_context
    from stackyard.repository import Repository


def __getattr__(name: str) -> Any:
    if name == "Repository":
        from stackyard.repository import Repository

        return Repository
    if name == "hookimpl":
        from stackyard.plugins.hookspecs import hookimpl

        return hookimpl
    if name == "SecretField":
        from stackyard.stack.stack_component import SecretField

        return SecretField
    if name in ("pipeline", "step"):
        from stackyard import pipelines

        return getattr(pipelines, name)
    if name in ("get_step_context", "get_run_context"):
        from stackyard.pipelines import step_context

        return getattr(step_context, name)
    raise AttributeError(f"module 'stackyard' has no attribute {name!r}")
