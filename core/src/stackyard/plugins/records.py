"""Typed records of what plugins contribute: plugins, flavors, flavor conflicts, CLI commands.

Plain ``__slots__`` classes: they are built by the hundred from the discovery
cache on every command that lists flavors, so they must cost nothing to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType

if TYPE_CHECKING:
    from stackyard.stack.stack_component import Parameter, StackComponent

CUSTOM_PACKAGE = "custom"
"""The package shown for flavors registered from an import path into a profile."""


class PluginInfo:
    """One entry point: where it comes from, how loading went, and what it provided."""

    __slots__ = ("name", "value", "package", "version", "status", "errors", "hooks", "flavors", "materializers", "commands")

    def __init__(self, name: str, value: str, package: str, version: str) -> None:
        self.name = name
        self.value = value
        self.package = package
        self.version = version
        self.status = "loaded"  # or "failed" / "disabled"
        self.errors: list[str] = []
        self.hooks: list[str] = []
        self.flavors: list[tuple[StackComponentType, str]] = []
        self.materializers: list[str] = []
        """Import paths of the materializer classes it provides."""
        self.commands: list[CliCommand] = []

    @property
    def error(self) -> str | None:
        """All problems of this plugin, joined, or ``None``."""
        return "; ".join(self.errors) or None

    def fail(self, message: str) -> None:
        """Record a problem that makes this plugin ``failed``."""
        self.status = "failed"
        self.errors.append(message)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, for ``plugin list --output json`` and the discovery cache."""
        data = {key: getattr(self, key) for key in ("name", "value", "package", "version", "status", "error")}
        data.update(errors=list(self.errors), hooks=list(self.hooks), materializers=list(self.materializers))
        data.update(flavors=[f"{t.value}/{n}" for t, n in self.flavors], commands=[vars_of(c) for c in self.commands])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PluginInfo:
        """The inverse of :meth:`to_dict`."""
        info = cls(data["name"], data["value"], data["package"], data["version"])
        info.status, info.errors, info.hooks = data["status"], data["errors"], data["hooks"]
        info.materializers = data["materializers"]
        info.flavors = [(StackComponentType(t), n) for t, _, n in (f.partition("/") for f in data["flavors"])]
        info.commands = [CliCommand(**c) for c in data["commands"]]
        return info

    def __repr__(self) -> str:
        return f"PluginInfo({self.name!r} from {self.package} {self.version}: {self.status})"


class Flavor:
    """A flavor known to Stackyard: its implementation and the package it came from.

    ``package``/``version`` name the distribution that provides it (``custom``
    for a flavor registered into a profile from an import path). ``source`` is
    the import path of the class; the class itself is imported on first use
    of :attr:`implementation`, so listing flavors needs no flavor module.
    """

    __slots__ = ("type", "name", "source", "package", "version", "plugin", "_implementation", "_description")

    def __init__(
        self,
        type: StackComponentType,
        name: str,
        implementation: type[StackComponent] | None,
        source: str,
        package: str,
        version: str | None = None,
        plugin: str | None = None,
        description: str | None = None,
    ) -> None:
        self.type = type
        self.name = name
        self.source = source
        self.package = package
        self.version = version
        self.plugin = plugin
        self._implementation = implementation
        self._description = description

    @property
    def implementation(self) -> type[StackComponent]:
        """The flavor class (imported from :attr:`source` on first use)."""
        if self._implementation is None:
            from stackyard.plugins.classes import check_flavor_class, import_object

            self._implementation = check_flavor_class(import_object(self.source), self.type)
        return self._implementation

    @property
    def is_custom(self) -> bool:
        """Whether this flavor was registered into a profile rather than installed."""
        return self.package == CUSTOM_PACKAGE

    @property
    def package_label(self) -> str:
        """``name version`` of the providing package, or ``custom``."""
        return f"{self.package} {self.version}" if self.version else self.package

    @property
    def description(self) -> str:
        """The first line of the implementation's docstring."""
        if self._description is None:
            from stackyard.plugins.classes import first_line

            self._description = first_line(self.implementation.__doc__)
        return self._description

    @property
    def parameters(self) -> dict[str, Parameter]:
        """The flavor's configuration parameters, from its attrs class."""
        from stackyard.stack.stack_component import parameters

        return parameters(self.implementation)

    def create(self, name: str, config: dict[str, Any]) -> StackComponent:
        """Build a component of this flavor from parameters (strings are converted)."""
        return self.implementation.from_config(name, config)

    def to_row(self) -> list[Any]:
        """Plain-data form of an installed flavor, for the discovery cache."""
        return [self.type.value, self.name, self.source, self.package, self.version, self.plugin, self.description]

    @classmethod
    def from_row(cls, row: list[Any]) -> Flavor:
        """The inverse of :meth:`to_row` (the class is imported on first use)."""
        type, name, source, package, version, plugin, description = row
        return cls(StackComponentType(type), name, None, source, package, version, plugin, description)

    def __repr__(self) -> str:
        return f"Flavor({self.type.value}/{self.name} from {self.package_label})"


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


def vars_of(record: object) -> dict[str, Any]:
    """The slots of a record, as a dict."""
    return {key: getattr(record, key) for key in record.__slots__}  # type: ignore[attr-defined]


class CliCommand:
    """A click command (or group) a plugin adds to ``stackyard``, named by import path.

    ``source`` is ``"my_pkg.cli:dashboard"``; ``help`` is the line shown by
    ``stackyard --help`` without importing it. ``plugin`` and ``package`` are
    filled in by discovery.
    """

    __slots__ = ("name", "source", "help", "plugin", "package")

    def __init__(self, name: str, source: str, help: str = "", plugin: str = "", package: str = "") -> None:
        self.name = name
        self.source = source
        self.help = help
        self.plugin = plugin
        self.package = package

    def __repr__(self) -> str:
        return f"CliCommand({self.name!r} -> {self.source})"
