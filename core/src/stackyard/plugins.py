"""Discovering plugins through entry points and collecting the flavors they provide.

Each entry point of the ``stackyard.plugins`` group is loaded on its own, and
each of its hooks is called on its own: an import error, a raising hook or a
hook returning something that is not a flavor class is recorded on that
plugin and never stops the others or the caller.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import FlavorNotFoundError
from stackyard.flavors import Flavor, check_flavor_class, first_line, source_of

if TYPE_CHECKING:
    from stackyard.records import ComponentRecord

DISABLE_ENV = "STACKYARD_DISABLE_PLUGINS"
"""Comma-separated entry point (or distribution) names of plugins to skip; ``*`` skips all
but the built-in ``stackyard-local`` (what ``stackyard --no-plugins`` sets)."""

BUILTIN_PACKAGE = "stackyard-local"


class PluginInfo:
    """What is known about one entry point: where it comes from and how loading went."""

    __slots__ = ("name", "value", "package", "version", "status", "errors", "hooks", "flavors")

    def __init__(self, name: str, value: str, package: str, version: str) -> None:
        self.name = name
        self.value = value
        self.package = package
        self.version = version
        self.status = "loaded"  # or "failed" / "disabled"
        self.errors: list[str] = []
        self.hooks: list[str] = []
        self.flavors: list[tuple[StackComponentType, str]] = []

    @property
    def error(self) -> str | None:
        """All problems of this plugin, joined, or ``None``."""
        return "; ".join(self.errors) or None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for ``plugin list --output json``."""
        return {
            "name": self.name,
            "value": self.value,
            "package": self.package,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "hooks": list(self.hooks),
            "flavors": [f"{t.value}/{n}" for t, n in self.flavors],
        }

    def __repr__(self) -> str:
        return f"PluginInfo({self.name!r} from {self.package} {self.version}: {self.status})"


class FlavorConflict:
    """Two or more packages provide a flavor of the same type and name; the first one wins."""

    __slots__ = ("type", "name", "packages")

    def __init__(self, type: StackComponentType, name: str, packages: list[str]) -> None:
        self.type = type
        self.name = name
        self.packages = packages

    def __str__(self) -> str:
        return (
            f"{self.type.display_name} flavor '{self.name}' is provided by "
            + " and by ".join(self.packages)
            + f"; using the one from {self.packages[0]}."
        )


class PluginRegistry:
    """The installed plugins and the flavors they provide, by type and name."""

    def __init__(self) -> None:
        self.plugins: list[PluginInfo] = []
        self.conflicts: list[FlavorConflict] = []
        self.files: list[str] = []
        """Source files whose change may change what the plugins provide."""
        self._flavors: dict[StackComponentType, dict[str, Flavor]] = {t: {} for t in StackComponentType}
        self._all: list[Flavor] = []

    def all_flavors(self) -> list[Flavor]:
        """Every flavor every plugin provided, including those that lost a conflict."""
        return list(self._all)

    def flavors(self, component_type: StackComponentType) -> list[Flavor]:
        """Installed flavors of a type, sorted by name."""
        return sorted(self._flavors[component_type].values(), key=lambda f: f.name)

    def find(self, component_type: StackComponentType, name: str) -> Flavor | None:
        """The installed flavor of that type and name, or ``None``."""
        return self._flavors[component_type].get(name)

    def get(self, component_type: StackComponentType, name: str) -> Flavor:
        """The installed flavor of that type and name, or :class:`FlavorNotFoundError`."""
        flavor = self.find(component_type, name)
        if flavor is None:
            raise FlavorNotFoundError(missing_flavor_message(component_type, name, self.flavors(component_type)))
        return flavor

    def add_flavor(self, flavor: Flavor) -> None:
        """Add a flavor, recording a conflict if the name is taken."""
        self._all.append(flavor)
        existing = self._flavors[flavor.type].get(flavor.name)
        if existing is None:
            self._flavors[flavor.type][flavor.name] = flavor
            return
        for conflict in self.conflicts:
            if conflict.type is flavor.type and conflict.name == flavor.name:
                conflict.packages.append(flavor.package_label)
                return
        self.conflicts.append(FlavorConflict(flavor.type, flavor.name, [existing.package_label, flavor.package_label]))


def unavailable_flavor_note(record: ComponentRecord) -> str:
    """Why a stored component's flavor cannot be used: its plugin is disabled, or it is not installed."""
    if record.package:
        for info in get_registry().plugins:
            if info.status == "disabled" and info.package == record.package:
                return f"flavor disabled (plugin {info.name} of {info.package} is off: {DISABLE_ENV} or --no-plugins)"
    return record.missing_flavor_note


def missing_flavor_message(
    component_type: StackComponentType, name: str, available: Iterable[Flavor], package: str | None = None
) -> str:
    """One line: the flavor is unknown, which package provides it (``package`` or a known one),
    the closest installed name, and what exists."""
    import difflib

    from stackyard.known_flavors import package_for

    message = f"No {component_type.display_name} flavor named '{name}'."
    package = package or package_for(component_type, name)
    if package:
        message += f" It is provided by the package '{package}': pip install {package}."
    names = sorted(f.name for f in available)
    close = difflib.get_close_matches(name, names, n=1)
    if close and not package:
        message += f" Did you mean '{close[0]}'?"
    if names:
        message += " Available: " + ", ".join(names) + "."
    return message


def is_disabled(info: PluginInfo, disabled: set[str]) -> bool:
    """Whether ``STACKYARD_DISABLE_PLUGINS`` (parsed into ``disabled``) skips this plugin."""
    if info.name in disabled or info.package in disabled:
        return True
    return "*" in disabled and info.package != BUILTIN_PACKAGE


def _disabled_names() -> set[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.split(",") if part.strip()}


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    found = entry_points(group="stackyard.plugins")
    unique: dict[tuple[str, str], Any] = {}
    for ep in found:  # the same distribution may be visible twice on sys.path
        dist = getattr(ep, "dist", None)
        unique.setdefault((ep.name, dist.name if dist else ""), ep)
    return sorted(unique.values(), key=lambda ep: (ep.name != "local", ep.name))


def discover() -> PluginRegistry:
    """Load every plugin entry point and collect its flavors, isolating failures.

    Whatever plugins print while loading goes to stderr, so machine-readable
    output on stdout (``--output json``) stays intact.
    """
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        return _discover()


def _discover() -> PluginRegistry:
    import pluggy

    from stackyard import hookspecs

    registry = PluginRegistry()
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    disabled = _disabled_names()
    before = set(sys.modules)
    modules: set[str] = set()
    for ep in _entry_points():
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            ep.name,
            ep.value,
            dist.metadata["Name"] if dist else "unknown",
            dist.version if dist else "unknown",
        )
        registry.plugins.append(info)
        if is_disabled(info, disabled):
            info.status = "disabled"
            continue
        modules.add(ep.module)
        try:
            plugin = ep.load()
            manager.register(plugin, name=f"{info.package}:{ep.name}")
        except BaseException as exc:  # noqa: BLE001 - a plugin must never take the caller down
            if isinstance(exc, KeyboardInterrupt):
                raise
            info.status = "failed"
            info.errors.append(f"cannot load {ep.value}: {type(exc).__name__}: {exc}")
            continue
        _collect(manager, plugin, info, registry)
    modules.update(set(sys.modules) - before)
    modules.update(f.implementation.__module__ for f in registry.all_flavors())
    registry.files = sorted(_module_files(modules))
    return registry


def _module_files(names: Iterable[str]) -> set[str]:
    """Source files of the named modules: if any changes, what plugins provide may change."""
    files = set()
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            files.add(os.path.abspath(path))
    return files


def _collect(manager: Any, plugin: object, info: PluginInfo, registry: PluginRegistry) -> None:
    from stackyard import hookspecs

    known = {hookspecs.flavor_hook_name(t): t for t in StackComponentType}
    for caller in manager.get_hookcallers(plugin) or []:
        info.hooks.append(caller.name)
        if caller.spec is None:
            import difflib

            specified = [n for n, c in vars(manager.hook).items() if getattr(c, "spec", None) is not None]
            close = difflib.get_close_matches(caller.name, specified, n=1)
            info.status = "failed"
            info.errors.append(
                f"implements unknown hook {caller.name}" + (f" (did you mean {close[0]}?)" if close else "")
            )
            continue
        if caller.name == "stackyard_materializers":
            _check_materializers(caller, plugin, info)
            continue
        component_type = known.get(caller.name)
        if component_type is None:
            continue
        hook_name = caller.name
        for cls in _call_hook(caller, plugin, info):
            try:
                check_flavor_class(cls, component_type)
            except Exception as exc:  # noqa: BLE001
                info.status = "failed"
                info.errors.append(f"{hook_name} returned an invalid flavor: {exc}")
                continue
            flavor = Flavor(
                component_type,
                cls.FLAVOR,
                cls,
                source_of(cls),
                info.package,
                info.version,
                info.name,
                first_line(cls.__doc__),
            )
            info.flavors.append((component_type, cls.FLAVOR))
            registry.add_flavor(flavor)


def _call_hook(caller: Any, plugin: object, info: PluginInfo) -> list[Any]:
    """What this plugin's implementations of one hook return; a raising one is recorded on ``info``."""
    result: list[Any] = []
    for impl in caller.get_hookimpls():
        if impl.plugin is not plugin:
            continue
        try:
            result.extend(_as_list(impl.function(), caller.name, info))
        except BaseException as exc:  # noqa: BLE001 - a plugin must never take the caller down
            if isinstance(exc, KeyboardInterrupt):
                raise
            info.status = "failed"
            info.errors.append(f"{caller.name} raised {type(exc).__name__}: {exc}")
    return result


def _check_materializers(caller: Any, plugin: object, info: PluginInfo) -> None:
    """Call a plugin's materializers hook once so that a broken one shows in ``plugin list``."""
    from stackyard.materializers import BaseMaterializer

    for cls in _call_hook(caller, plugin, info):
        if not (isinstance(cls, type) and issubclass(cls, BaseMaterializer)):
            info.status = "failed"
            info.errors.append(
                f"{caller.name} returned {cls!r}, not a subclass of stackyard.materializers.BaseMaterializer"
            )


def _as_list(result: object, hook_name: str, info: PluginInfo) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, type):
        return [result]
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        info.status = "failed"
        info.errors.append(f"{hook_name} returned {result!r}, not a list of flavor classes")
        return []
    return list(result)


_cached: tuple[str, PluginRegistry] | None = None


def get_registry(cache_dir: object = None) -> PluginRegistry:
    """The plugin registry of this process, discovered on first use.

    Discovery is cached on disk (see :mod:`stackyard.plugin_cache`) and done
    again whenever the installed distributions or the plugins' files change,
    or ``STACKYARD_DISABLE_PLUGINS`` changed since.
    """
    global _cached
    key = os.environ.get(DISABLE_ENV, "")
    if _cached is None or _cached[0] != key:
        from stackyard import plugin_cache

        registry = plugin_cache.load()
        if registry is None:
            registry = discover()
            plugin_cache.save(registry)
        _cached = (key, registry)
    return _cached[1]


def reset_registry() -> None:
    """Forget the discovered plugins (after installing packages, or in tests)."""
    global _cached
    _cached = None


# names the rest of core uses (the plugins package replaces this module)
from stackyard.flavors import CUSTOM_PACKAGE, Flavor, check_flavor_class  # noqa: E402,F401
from stackyard.flavors import import_flavor_class as import_object  # noqa: E402,F401
