"""Discovery: one loop over the ``stackyard.plugins`` entry points, calling every hook of each.

Each entry point is loaded on its own and each of its hooks is called on its
own: an import error, a raising hook or a hook returning something that is
not what it should be is recorded on that plugin and never stops the others
or the caller. Flavors, materializers and CLI commands all come from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.plugins import BUILTIN_PACKAGE, DISABLE_ENV
from stackyard.plugins.records import CliCommand, Flavor, PluginInfo
from stackyard.plugins.registry import PluginRegistry

if TYPE_CHECKING:
    from pathlib import Path

BUILTIN_COMMANDS = frozenset(
    {"init", "clean", "profile", "stack", "flavor", "plugin", "pipeline", "secret", *(t.cli_name for t in StackComponentType)}
)
"""The ``stackyard`` commands a plugin cannot take (a CLI test keeps this equal to the CLI's own list)."""

_EXPECTED = {"stackyard_materializers": "materializer classes", "stackyard_cli_commands": "CliCommand records"}


def is_disabled(info: PluginInfo, disabled: set[str]) -> bool:
    """Whether ``STACKYARD_DISABLE_PLUGINS`` (parsed into ``disabled``) skips this plugin."""
    if info.name in disabled or info.package in disabled:
        return True
    return "*" in disabled and info.package != BUILTIN_PACKAGE


def discover(cache_dir: Path | None = None, packages: frozenset[str] | None = None) -> PluginRegistry:
    """Load every plugin entry point and collect what its hooks return, isolating failures.

    Plugin code runs inside :func:`~stackyard.plugins.isolation.plugin_code`:
    what it prints goes to stderr, so machine-readable output on stdout
    (``--output json``) stays intact, and its ``sys.exit()`` is its failure.
    With ``cache_dir``, a marker there names the plugin being loaded, so a
    plugin that ends the process is skipped by the next discoveries (see
    :mod:`stackyard.plugins.markers`). ``packages`` limits discovery to
    those distributions.
    """
    import pluggy

    from stackyard.plugins import hookspecs, markers

    registry = PluginRegistry()
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    disabled = {part.strip() for part in os.environ.get(DISABLE_ENV, "").split(",") if part.strip()}
    before = set(sys.modules)
    crashed = markers.crashed_plugins(cache_dir) if cache_dir is not None else {}
    marker = markers.DiscoveryMarker(cache_dir) if cache_dir is not None else None
    try:
        for ep in _entry_points(hookspecs.ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            info = PluginInfo(ep.name, ep.value, dist.metadata["Name"] if dist else "unknown", dist.version if dist else "unknown")
            if packages is not None and info.package not in packages:
                continue
            registry.plugins.append(info)
            if is_disabled(info, disabled):
                info.status = "disabled"
                continue
            reason = markers.skip_reason(info, crashed)
            if reason:
                info.fail(reason)
                continue
            if marker is not None:
                marker.loading(info)
            _load_plugin(ep, info, manager, registry)
            if marker is not None:
                marker.done()
    finally:
        if marker is not None:
            marker.close()
    # if any of these files changes, what plugins provide may change
    watched = {*(set(sys.modules) - before), *(p.value.partition(":")[0] for p in registry.plugins)}
    watched.update(f.implementation.__module__ for f in registry.all_flavors())
    paths = (getattr(sys.modules.get(name), "__file__", None) for name in watched)
    registry.files = sorted({os.path.abspath(path) for path in paths if path})
    return registry


def _load_plugin(ep: Any, info: PluginInfo, manager: Any, registry: PluginRegistry) -> None:
    """Import one plugin and call each of its hooks, recording every failure on ``info``."""
    from stackyard.exceptions import PluginExitError
    from stackyard.plugins.isolation import plugin_code

    try:
        with plugin_code():
            plugin = ep.load()
            manager.register(plugin, name=f"{info.package}:{ep.name}")
    except PluginExitError as exc:
        info.fail(f"cannot load {ep.value}: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a plugin must never take the caller down
        info.fail(f"cannot load {ep.value}: {type(exc).__name__}: {exc}")
        return
    for caller in manager.get_hookcallers(plugin) or []:
        _collect(manager, caller, plugin, info, registry)


def _entry_points(group: str) -> list[Any]:
    from importlib.metadata import entry_points

    unique: dict[tuple[str, str], Any] = {}
    for ep in entry_points(group=group):  # the same distribution may be visible twice on sys.path
        dist = getattr(ep, "dist", None)
        unique.setdefault((ep.name, dist.name if dist else ""), ep)
    return sorted(unique.values(), key=lambda ep: (ep.name != "local", ep.name))


def _collect(manager: Any, caller: Any, plugin: object, info: PluginInfo, registry: PluginRegistry) -> None:
    """Call one hook of one plugin and record what it returns, or what is wrong with it."""
    info.hooks.append(caller.name)
    if caller.spec is None:
        import difflib

        specified = [n for n, c in vars(manager.hook).items() if getattr(c, "spec", None) is not None]
        close = difflib.get_close_matches(caller.name, specified, n=1)
        info.fail(f"implements unknown hook {caller.name}" + (f" (did you mean {close[0]}?)" if close else ""))
        return
    for item in _call_hook(caller, plugin, info):
        try:
            _add(caller.name, item, info, registry)
        except Exception as exc:  # noqa: BLE001 - recorded on the plugin
            what = "an invalid flavor:" if caller.name.endswith("_flavors") else f"{item!r},"
            info.fail(f"{caller.name} returned {what} {exc}")


def _call_hook(caller: Any, plugin: object, info: PluginInfo) -> list[Any]:
    """What this plugin's implementations of one hook return; a raising one is recorded on ``info``."""
    from stackyard.exceptions import PluginExitError
    from stackyard.plugins.isolation import plugin_code

    result: list[Any] = []
    for impl in caller.get_hookimpls():
        if impl.plugin is not plugin:
            continue
        try:
            with plugin_code():
                returned = impl.function()
        except PluginExitError as exc:
            info.fail(f"{caller.name} raised {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a plugin must never take the caller down
            info.fail(f"{caller.name} raised {type(exc).__name__}: {exc}")
            continue
        if returned is None:
            continue
        if isinstance(returned, (type, CliCommand, dict)):
            returned = [returned]
        if isinstance(returned, (str, bytes)) or not isinstance(returned, Iterable):
            info.fail(f"{caller.name} returned {returned!r}, not a list of {_EXPECTED.get(caller.name, 'flavor classes')}")
            continue
        result.extend(returned)
    return result


def _add(hook: str, item: Any, info: PluginInfo, registry: PluginRegistry) -> None:
    """Record one thing a hook returned on ``info`` and ``registry``; raise if it is not valid."""
    from stackyard.plugins.classes import check_flavor_class, first_line, source_of

    if hook == "stackyard_materializers":
        from stackyard.materializers import BaseMaterializer

        if not (isinstance(item, type) and issubclass(item, BaseMaterializer)):
            raise TypeError("not a subclass of stackyard.materializers.BaseMaterializer")
        info.materializers.append(source_of(item))
    elif hook == "stackyard_cli_commands":
        _add_command(item, info, registry)
    else:
        component_type = StackComponentType(hook.removeprefix("stackyard_").removesuffix("_flavors"))
        cls = check_flavor_class(item, component_type)
        info.flavors.append((component_type, cls.FLAVOR))
        registry.add_flavor(
            Flavor(component_type, cls.FLAVOR, cls, source_of(cls), info.package, info.version, info.name, first_line(cls.__doc__))
        )


def _add_command(item: Any, info: PluginInfo, registry: PluginRegistry) -> None:
    if isinstance(item, dict):
        item = CliCommand(item.get("name"), item.get("source"), item.get("help", ""))
    if not (isinstance(item, CliCommand) and isinstance(item.name, str) and item.name and isinstance(item.source, str)):
        raise TypeError("not a CliCommand(name=..., source='pkg.module:command', help=...)")
    taken = registry.commands().get(item.name)
    if item.name in BUILTIN_COMMANDS or taken is not None:
        owner = "stackyard has a built-in command" if taken is None else f"{taken.package} already adds a command"
        info.errors.append(f"command '{item.name}' refused: {owner} of that name")
        return
    info.commands.append(CliCommand(item.name, item.source, str(item.help or ""), info.name, info.package))


_cached: tuple[str, PluginRegistry] | None = None


def get_registry(cache_dir: Path | None = None) -> PluginRegistry:
    """The plugin registry of this process, discovered on first use.

    With ``cache_dir`` (``<global config dir>/cache``) discovery is kept on
    disk there (see :mod:`stackyard.plugins.cache`); without, the registry
    already discovered in this process is reused, else plugins are discovered
    without the disk cache. Changing ``STACKYARD_DISABLE_PLUGINS`` discovers again.
    """
    global _cached
    key = os.environ.get(DISABLE_ENV, "")
    if _cached is None or _cached[0] != key:
        from stackyard.plugins import cache

        registry = cache.load(cache_dir) if cache_dir is not None else None
        if registry is None:
            registry = discover(cache_dir)
            if cache_dir is not None:
                cache.save(registry, cache_dir)
        _cached = (key, registry)
    return _cached[1]


def get_default_flavors_registry(cache_dir: Path | None = None) -> PluginRegistry:
    """A registry holding at least the built-in ``stackyard-local`` flavors, for a new profile's default stack.

    The registry this process already discovered, or the warm disk cache, if
    there is one; else only ``stackyard-local`` is discovered (not kept), so a
    fresh config dir never needs every installed plugin to work.
    """
    key = os.environ.get(DISABLE_ENV, "")
    if _cached is not None and _cached[0] == key:
        return _cached[1]
    if cache_dir is not None:
        from stackyard.plugins import cache

        registry = cache.load(cache_dir)
        if registry is not None:
            return registry
    return discover(cache_dir, packages=frozenset({BUILTIN_PACKAGE}))


def reset_registry() -> None:
    """Forget the discovered plugins (after installing packages, or in tests)."""
    global _cached
    _cached = None
