"""The runtime configuration of a run: options given to ``run()``, handed to every component.

Components declare the options they read in a ``RUNTIME_OPTIONS`` class
variable: a mapping of name to type (``{"max_workers": int}``), or a set of
names taking any value. Before a run is recorded, each declared option is
converted to its type by the converter that builds components, so
``--option max_workers=abc`` is refused with nothing written. Every option
still reaches every component; one that no component of the stack declares
is most likely a typo, so it is shown as an
:class:`UnknownRuntimeOptionWarning` — never an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.stack.stack import Stack

CORE_OPTIONS = frozenset({"run_name"})
"""Options Stackyard itself reads."""


class UnknownRuntimeOptionWarning(UserWarning):
    """A runtime option that no component of the stack declares (likely a typo)."""


class RuntimeConfiguration(Mapping[str, Any]):
    """A read-only mapping of the run's options, plus ``run_name`` (also as attributes)."""

    def __init__(self, options: Mapping[str, Any], *, run_name: str, enable_cache: bool | None = None) -> None:
        self._data = {**options, "run_name": run_name}
        self.run_name = run_name
        self.enable_cache = enable_cache

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RuntimeConfiguration({self._data!r})"


def option_types(stack: Stack) -> dict[str, Any]:
    """Every option some component of ``stack`` (or Stackyard itself) declares, with its type."""
    types: dict[str, Any] = dict.fromkeys(CORE_OPTIONS, str)
    for component in stack:
        declared = type(component).RUNTIME_OPTIONS
        pairs = declared.items() if isinstance(declared, Mapping) else ((name, Any) for name in declared)
        for name, option_type in pairs:
            types.setdefault(name, option_type)
    return types


def declared_options(stack: Stack) -> frozenset[str]:
    """Every option some component of ``stack`` (or Stackyard itself) declares."""
    return frozenset(option_types(stack))


def convert_options(stack: Stack, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options converted to their declared types; :class:`RuntimeOptionError` names every bad one."""
    from stackyard.exceptions import RuntimeOptionError
    from stackyard.serialization import structure_value

    types = option_types(stack)
    result, problems = {}, []
    for name, value in options.items():
        try:
            result[name] = structure_value(value, types.get(name, Any))
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    if problems:
        raise RuntimeOptionError(
            f"Invalid runtime option{'s' if len(problems) > 1 else ''} for stack '{stack.name}': "
            + "; ".join(problems),
            problems=problems,
        )
    return result


def warn_unknown_options(stack: Stack, options: Mapping[str, Any], stacklevel: int = 2) -> list[str]:
    """Warn about each option no component declares; return their names."""
    unknown = sorted(set(options) - declared_options(stack))
    for name in unknown:
        warnings.warn(
            f"Runtime option '{name}' is not declared by any component of stack '{stack.name}'; "
            "it is passed to every component anyway. Check its spelling.",
            UnknownRuntimeOptionWarning,
            stacklevel=stacklevel + 1,
        )
    return unknown
