"""Plugins: the hooks, their discovery through entry points, the discovery cache, and flavor records.

- :mod:`~stackyard.plugins.hookspecs`: the hooks a plugin implements;
- :mod:`~stackyard.plugins.loader`: one loop over the entry points calling every hook;
- :mod:`~stackyard.plugins.registry`: what was found, by type and name;
- :mod:`~stackyard.plugins.records`: typed records (plugins, flavors, conflicts, CLI commands);
- :mod:`~stackyard.plugins.classes`: import by path, and the checks a flavor class must pass;
- :mod:`~stackyard.plugins.cache`: discovery kept on disk;
- :mod:`~stackyard.plugins.isolation`: running plugin code (stdout to stderr, its ``sys.exit()`` a failure);
- :mod:`~stackyard.plugins.markers`: noticing a plugin that ended the process while loading.

The names below are imported on first use, so that reading the discovery
cache (``stackyard --help``) does not import the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

DISABLE_ENV = "STACKYARD_DISABLE_PLUGINS"
"""Comma-separated entry point (or distribution) names of plugins to skip; ``*`` skips all
but the built-in ``stackyard-local`` (what ``stackyard --no-plugins`` sets)."""

BUILTIN_PACKAGE = "stackyard-local"
"""The distribution of the default flavors, never skipped by ``*``."""

if TYPE_CHECKING:
    from stackyard.plugins.classes import base_class, check_flavor_class, first_line, import_object, source_of
    from stackyard.plugins.hookspecs import ENTRY_POINT_GROUP, hookimpl, hookspec
    from stackyard.plugins.loader import get_default_flavors_registry, get_registry, is_disabled, reset_registry
    from stackyard.plugins.records import CUSTOM_PACKAGE, CliCommand, Flavor, FlavorConflict, PluginInfo
    from stackyard.plugins.registry import PluginRegistry, missing_flavor_message, package_for

_HOMES = {
    "classes": ("base_class", "check_flavor_class", "first_line", "import_object", "source_of"),
    "hookspecs": ("ENTRY_POINT_GROUP", "hookimpl", "hookspec"),
    "loader": ("get_default_flavors_registry", "get_registry", "is_disabled", "reset_registry"),
    "records": ("CUSTOM_PACKAGE", "CliCommand", "Flavor", "FlavorConflict", "PluginInfo"),
    "registry": ("PluginRegistry", "missing_flavor_message", "package_for"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted({"BUILTIN_PACKAGE", "DISABLE_ENV", *_MODULE_OF})


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'stackyard.plugins' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"stackyard.plugins.{module}"), name)
