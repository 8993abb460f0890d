"""Flavors: what they are, where they come from, and how a class qualifies as one."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import InvalidFlavorError

if TYPE_CHECKING:
    from stackyard.stack.stack_component import Parameter, StackComponent

CUSTOM_PACKAGE = "custom"
"""The package shown for flavors registered from an import path into a profile."""


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
            self._implementation = check_flavor_class(import_flavor_class(self.source), self.type)
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

    def __repr__(self) -> str:
        return f"Flavor({self.type.value}/{self.name} from {self.package_label})"


def base_class(component_type: StackComponentType) -> type[StackComponent]:
    """The base abstraction of a type, e.g. ``BaseArtifactStore`` for artifact stores."""
    module = importlib.import_module(f"stackyard.{component_type.plural}")
    camel = "".join(part.capitalize() for part in component_type.value.split("_"))
    return getattr(module, f"Base{camel}")  # type: ignore[no-any-return]


def check_flavor_class(obj: object, component_type: StackComponentType | None = None) -> type[StackComponent]:
    """Return ``obj`` if it is a usable flavor class (of ``component_type``), else raise."""
    from stackyard.stack.stack_component import StackComponent

    label = _label(obj)
    if not isinstance(obj, type) or not issubclass(obj, StackComponent):
        raise InvalidFlavorError(f"{label} is not a stack component class.")
    if component_type is not None and not issubclass(obj, base_class(component_type)):
        raise InvalidFlavorError(
            f"{label} is not {component_type.with_article} flavor; subclass "
            f"stackyard.{component_type.plural}.{base_class(component_type).__name__}."
        )
    if obj.__abstractmethods__:
        missing = ", ".join(sorted(obj.__abstractmethods__))
        raise InvalidFlavorError(f"{label} is abstract; implement {missing}.")
    if not isinstance(getattr(obj, "FLAVOR", None), str):
        raise InvalidFlavorError(f"{label} has no FLAVOR.")
    if "FLAVOR" not in vars(obj):
        raise InvalidFlavorError(
            f"{label} defines no FLAVOR of its own (it would pose as '{obj.FLAVOR}' from "
            f"{source_of(next(c for c in obj.__mro__ if 'FLAVOR' in vars(c)))}); add FLAVOR: ClassVar[str] = \"my-flavor\"."
        )
    return obj


def import_flavor_class(source: str) -> type:
    """Import a class from ``pkg.module.Class`` or ``pkg.module:Class`` (nested classes too)."""
    module_name, sep, attr = source.partition(":")
    if sep:
        candidates = [(module_name, attr)]
    else:
        parts = source.split(".")
        candidates = [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]
    if not candidates or not all(candidates[0]):
        raise InvalidFlavorError(
            f"'{source}' is not an import path; use 'package.module.ClassName'."
        )
    first_error: Exception | None = None
    for module_name, attr in candidates:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                first_error = first_error or exc
                continue  # this prefix is not a module: try a shorter one
            raise InvalidFlavorError(f"Cannot import '{module_name}' for flavor '{source}': {exc}") from None
        except Exception as exc:
            raise InvalidFlavorError(
                f"Importing '{module_name}' for flavor '{source}' failed: {type(exc).__name__}: {exc}"
            ) from None
        try:
            obj: Any = module
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            raise InvalidFlavorError(f"Module '{module_name}' has no '{attr}' (flavor '{source}').") from None
        return obj  # type: ignore[no-any-return]
    raise InvalidFlavorError(
        f"Cannot import '{candidates[-1][0]}' for flavor '{source}': {first_error}"
    )


def source_of(cls: type) -> str:
    """The import path of a class, ``module.QualName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def import_source_of(cls: type) -> str:
    """The unambiguous import path of a class, ``module:QualName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def first_line(doc: str | None) -> str:
    """The first line of a docstring, or the empty string."""
    text = (doc or "").strip()
    return text.splitlines()[0].strip() if text else ""


def _label(obj: object) -> str:
    return source_of(obj) if isinstance(obj, type) else repr(obj)
