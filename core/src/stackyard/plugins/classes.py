"""Classes named by import path: importing them, and checking that a class is a usable flavor."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import InvalidFlavorError, PluginExitError

if TYPE_CHECKING:
    from stackyard.stack.stack_component import StackComponent


def import_object(source: str) -> Any:
    """The object at ``pkg.module.Name`` or ``pkg.module:Name`` (nested names too).

    Every failure is an :class:`InvalidFlavorError` saying what could not be imported and why,
    ``sys.exit()`` in the imported code too; what it prints goes to stderr
    (:func:`~stackyard.plugins.isolation.plugin_code`).
    """
    from stackyard.plugins.isolation import plugin_code

    if not source or ("." not in source and ":" not in source):
        raise InvalidFlavorError(f"'{source}' is not an import path; use 'package.module.ClassName'.")
    try:
        with plugin_code():
            return _resolve(source)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (source.replace(":", ".") + ".").startswith(exc.name + "."):
            raise InvalidFlavorError(f"Cannot import '{exc.name}' for '{source}': {exc}") from None
        raise InvalidFlavorError(f"Importing '{source}' failed: {type(exc).__name__}: {exc}") from None
    except (AttributeError, ValueError) as exc:
        raise InvalidFlavorError(f"Cannot import '{source}': {exc}.") from None
    except PluginExitError as exc:
        raise InvalidFlavorError(f"Importing '{source}' failed: {exc}") from None
    except Exception as exc:  # anything the imported module raises
        raise InvalidFlavorError(f"Importing '{source}' failed: {type(exc).__name__}: {exc}") from None


def _resolve(source: str) -> Any:
    """``pkgutil.resolve_name(source)``, without importing pkgutil (~10 ms, a CLI registration's
    budget) for the form Stackyard writes itself (:func:`class_path`): ``package.module.Name``."""
    if ":" not in source:
        module_name, _, name = source.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists but fails to import: pkgutil says the same
                raise
        else:
            if hasattr(module, name):
                return getattr(module, name)
    import pkgutil  # nested names (``module.Outer.Inner``), ``module:Name``, and its error messages

    return pkgutil.resolve_name(source)


def base_class(component_type: StackComponentType) -> type[StackComponent]:
    """The base abstraction of a type, e.g. ``BaseArtifactStore`` for artifact stores."""
    module = importlib.import_module(f"stackyard.{component_type.plural}")
    camel = "".join(part.capitalize() for part in component_type.value.split("_"))
    return getattr(module, f"Base{camel}")  # type: ignore[no-any-return]


def check_flavor_class(obj: object, component_type: StackComponentType | None = None) -> type[StackComponent]:
    """Return ``obj`` if it is a usable flavor class (of ``component_type``), else raise."""
    from stackyard.stack.stack_component import StackComponent

    label = source_of(obj) if isinstance(obj, type) else repr(obj)
    if not isinstance(obj, type) or not issubclass(obj, StackComponent):
        raise InvalidFlavorError(f"{label} is not a stack component class.")
    if component_type is not None and not issubclass(obj, base_class(component_type)):
        raise InvalidFlavorError(
            f"{label} is not {component_type.with_article} flavor; subclass "
            f"stackyard.{component_type.plural}.{base_class(component_type).__name__}."
        )
    if obj.__abstractmethods__:
        raise InvalidFlavorError(f"{label} is abstract; implement {', '.join(sorted(obj.__abstractmethods__))}.")
    if not isinstance(getattr(obj, "FLAVOR", None), str):
        raise InvalidFlavorError(f"{label} has no FLAVOR.")
    if "FLAVOR" not in vars(obj):
        owner = next(c for c in obj.__mro__ if "FLAVOR" in vars(c))
        raise InvalidFlavorError(
            f"{label} defines no FLAVOR of its own (it would pose as '{obj.FLAVOR}' from {source_of(owner)}); "
            'add FLAVOR: ClassVar[str] = "my-flavor".'
        )
    return obj


def source_of(cls: type) -> str:
    """The import path of a class, ``module.QualName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def first_line(doc: str | None) -> str:
    """The first line of a docstring, or the empty string."""
    text = (doc or "").strip()
    return text.splitlines()[0].strip() if text else ""
