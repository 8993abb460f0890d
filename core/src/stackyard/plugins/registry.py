"""The registry of what installed plugins provide, and what to say when a flavor is not in it."""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.enums import StackComponentType
from stackyard.exceptions import FlavorNotFoundError
from stackyard.plugins.records import CliCommand, Flavor, FlavorConflict, PluginInfo


_KNOWN_PACKAGES: dict[tuple[str, str], str] = {
    ("orchestrator", "local"): "stackyard-local",
    ("artifact_store", "local"): "stackyard-local",
    ("metadata_store", "sqlite"): "stackyard-local",
    ("secrets_manager", "local"): "stackyard-local",
}
"""Flavors of packages maintained with Stackyard, so an error can say what to install."""


class PluginRegistry:
    """The installed plugins and what they provide: flavors by type and name, materializers, CLI commands."""

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
        existing = self._flavors[flavor.type].setdefault(flavor.name, flavor)
        if existing is flavor:
            return
        for conflict in self.conflicts:
            if conflict.type is flavor.type and conflict.name == flavor.name:
                conflict.packages.append(flavor.package_label)
                return
        self.conflicts.append(FlavorConflict(flavor.type, flavor.name, [existing.package_label, flavor.package_label]))

    def materializers(self) -> list[str]:
        """Import paths of the plugins' materializer classes, in plugin order (later ones win)."""
        return [path for info in self.plugins for path in info.materializers]

    def commands(self) -> dict[str, CliCommand]:
        """The CLI commands plugins add, by name."""
        return {command.name: command for info in self.plugins for command in info.commands}


def package_for(component_type: StackComponentType, flavor: str) -> str | None:
    """The distribution known to provide that flavor, if any."""
    return _KNOWN_PACKAGES.get((component_type.value, flavor))


def missing_flavor_message(
    component_type: StackComponentType, name: str, available: Iterable[Flavor], package: str | None = None
) -> str:
    """One line: the flavor is unknown, which package provides it (``package`` or a known one),
    the closest installed name, and what exists."""
    import difflib

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
