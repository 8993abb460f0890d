"""Stored forms of components and stacks: plain records, no flavor code needed to read them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import ConfigFileError, StackyardError

if TYPE_CHECKING:
    from stackyard.stack.stack_component import StackComponent


class ComponentRecord:
    """A stack component as stored: type, flavor, name, uuid and configuration.

    Records load without the flavor's package, so components whose package was
    uninstalled can still be listed, described and deleted. ``package`` is the
    distribution that provided the flavor when the component was registered.
    """

    __slots__ = ("type", "flavor", "name", "uuid", "config", "package")

    def __init__(
        self,
        type: StackComponentType,
        flavor: str,
        name: str,
        uuid: str,
        config: Mapping[str, Any],
        package: str | None = None,
    ) -> None:
        self.type = type
        self.flavor = flavor
        self.name = name
        self.uuid = uuid
        self.config = dict(config)
        self.package = package

    @classmethod
    def of(cls, component: StackComponent, package: str | None = None) -> ComponentRecord:
        """The stored form of a component (unset optional parameters are not stored)."""
        from stackyard.files import drop_none

        return cls(component.TYPE, component.FLAVOR, component.name, str(component.uuid),
                   drop_none(component.config), package)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what the component's TOML file holds)."""
        data: dict[str, Any] = {
            "name": self.name,
            "uuid": self.uuid,
            "type": self.type.value,
            "flavor": self.flavor,
        }
        if self.package:
            data["package"] = self.package
        data["config"] = dict(self.config)
        return data

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON (a path or other value TOML holds as text becomes text), e.g. for a command line."""
        import json

        return json.dumps(self.to_dict(), default=str)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path | str = "<data>") -> ComponentRecord:
        """Read a record, raising :class:`ConfigFileError` naming ``path`` when fields are wrong."""
        try:
            component_type = StackComponentType.parse(data["type"])
            config = data.get("config", {})
            if not isinstance(config, dict):
                raise ValueError("'config' must be a table")
            for key in ("name", "uuid", "flavor"):
                if not isinstance(data[key], str):
                    raise ValueError(f"'{key}' must be a string")
            return cls(component_type, data["flavor"], data["name"], data["uuid"], config, data.get("package"))
        except KeyError as exc:
            raise ConfigFileError(path, f"missing field {exc}") from None
        except ValueError as exc:
            raise ConfigFileError(path, str(exc)) from None

    @property
    def missing_flavor_note(self) -> str:
        """``flavor missing (install PACKAGE)``: what to say when the flavor is not installed."""
        from stackyard.plugins import package_for

        package = self.package or package_for(self.type, self.flavor)
        return f"flavor missing (install {package or 'the package that provides it'})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComponentRecord) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"ComponentRecord({self.type.value}/{self.name}, flavor={self.flavor!r})"


def same_component(record: ComponentRecord, component: StackComponent, *, same_uuid: bool = True) -> bool:
    """Whether a stored component is ``component``: same type, flavor, configuration (and uuid).

    The one rule for comparing stored and in-memory components: the stored
    configuration is read back through the component's own flavor, so unset
    optional parameters (absent from TOML), defaults left out, and values of
    converted types (a ``Path`` against its string) all compare as equal.
    """
    if record.type is not component.TYPE or record.flavor != component.FLAVOR:
        return False
    if same_uuid and record.uuid != str(component.uuid):
        return False
    try:
        stored = type(component).from_config(component.name, record.config)
    except StackyardError:
        return False
    return stored.config == component.config


class StackRecord:
    """A stack as stored: its name and the names of its components by type."""

    __slots__ = ("name", "components")

    def __init__(self, name: str, components: Mapping[StackComponentType, str]) -> None:
        self.name = name
        self.components = dict(components)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what the stack's TOML file holds)."""
        ordered = {t.value: self.components[t] for t in StackComponentType if t in self.components}
        return {"name": self.name, "components": ordered}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path | str = "<data>") -> StackRecord:
        """Read a record, raising :class:`ConfigFileError` naming ``path`` when fields are wrong."""
        try:
            raw = data["components"]
            if not isinstance(raw, dict) or not isinstance(data["name"], str):
                raise ValueError("'name' must be a string and 'components' a table")
            members = StackComponentType._value2member_map_  # the spelling files use: no parsing per stack
            components = {
                members[k] if k in members else StackComponentType.parse(k): v for k, v in raw.items()
            }
            if not all(isinstance(v, str) for v in components.values()):
                raise ValueError("component names must be strings")
            return cls(data["name"], components)
        except KeyError as exc:
            raise ConfigFileError(path, f"missing field {exc}") from None
        except ValueError as exc:
            raise ConfigFileError(path, str(exc)) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StackRecord) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"StackRecord({self.name!r}, {dict((t.value, n) for t, n in self.components.items())})"


class CustomFlavorRecord:
    """A flavor registered into a profile by import path.

    ``root`` is the folder the class was imported from at registration (a
    repository root), or ``None`` when it comes from an installed package.
    """

    __slots__ = ("type", "name", "source", "root")

    def __init__(self, type: StackComponentType, name: str, source: str, root: str | None = None) -> None:
        self.type = type
        self.name = name
        self.source = source
        self.root = root

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (what the flavor's TOML file holds)."""
        data = {"name": self.name, "source": self.source}
        if self.root:
            data["root"] = self.root
        return data

    def __repr__(self) -> str:
        return f"CustomFlavorRecord({self.type.value}/{self.name} from {self.source})"
