"""Shell completion of registered names: stacks, components, profiles and flavors.

Enable it with ``eval "$(_STACKYARD_COMPLETE=bash_source stackyard)"`` (or
``zsh_source`` / ``fish_source``). Completion never prints or fails: any
problem just means no suggestions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _safe(names: Callable[[], list[str]], incomplete: str) -> list[str]:
    import logging

    logging.disable(logging.CRITICAL)  # nothing may print into the shell's completion
    try:
        return [n for n in names() if n.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - completion must never break the shell
        return []
    finally:
        logging.disable(logging.NOTSET)


def _repository() -> Any:
    from stackyard.repository import Repository

    return Repository()


def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Names of all profiles."""
    return _safe(lambda: [p.name for p in _repository().get_profiles()], incomplete)


def complete_stacks(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Names of the stacks of the active profile."""
    return _safe(lambda: _repository().stack_names(), incomplete)


def component_completer(component_type: str) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """Completes names of the active profile's components of one type."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        return _safe(lambda: _repository().component_names(component_type), incomplete)

    return complete


def flavor_completer(component_type: str) -> Callable[[click.Context, click.Parameter, str], list[str]]:
    """Completes names of the installed and custom flavors of one type."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
        return _safe(lambda: [f.name for f in _repository().get_flavors(component_type)], incomplete)

    return complete
