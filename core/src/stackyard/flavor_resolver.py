"""Finding a flavor by type and name: installed by a plugin package, or custom in the profile.

Custom flavors are classes registered by import path into a profile. Each
record keeps the repository root it was registered from; that folder (and
no other, never the working directory by itself) is put on ``sys.path`` only
while such a flavor is imported. What a repository can cause to be imported
is therefore: modules of installed packages, and modules under the root
recorded with a custom flavor of the active profile.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stackyard.enums import StackComponentType
from stackyard.exceptions import FlavorExistsError, FlavorNotFoundError, InUseError, StackyardError

if TYPE_CHECKING:
    from stackyard.plugins import Flavor, PluginRegistry
    from stackyard.records import ComponentRecord
    from stackyard.store import CustomFlavorRecord, LocalStore

logger = logging.getLogger("stackyard")


class FlavorResolver:
    """The flavors usable with one profile's store: the installed ones, then the store's custom ones."""

    def __init__(self, store: LocalStore, cache_dir: Path | None, root: Path | None) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self.root = root

    @property
    def registry(self) -> PluginRegistry:
        """The installed plugins (discovered once per process, cached on disk)."""
        from stackyard.plugins import get_registry

        return get_registry(self.cache_dir)

    def flavors(self, component_type: StackComponentType) -> list[Flavor]:
        """Installed flavors of a type plus the usable custom ones, by name."""
        installed = self.registry.flavors(component_type)
        known = {f.name for f in installed}
        custom = []
        for record in self.store.custom_flavors(component_type).values():
            if record.name in known:
                continue
            try:
                custom.append(self._load_custom(record))
            except StackyardError as exc:
                logger.warning(
                    "Custom %s flavor '%s' is unavailable: %s", component_type.display_name, record.name, exc
                )
        return sorted(installed + custom, key=lambda f: f.name)

    def names(self, component_type: StackComponentType) -> set[str]:
        """Names of the installed and custom flavors of a type, importing no custom flavor."""
        return {f.name for f in self.registry.flavors(component_type)} | set(self.store.custom_flavors(component_type))

    def get(self, component_type: StackComponentType, name: str) -> Flavor:
        """One flavor (:class:`FlavorNotFoundError` naming the package to install when known)."""
        from stackyard.plugins import missing_flavor_message

        flavor = self.registry.find(component_type, name)
        if flavor is not None:
            return flavor
        custom = self.store.custom_flavors(component_type).get(name)
        if custom is not None:
            return self._load_custom(custom)
        # components registered before the package was uninstalled remember where the flavor came from
        package = next(
            (r.package for r in self.store.components(component_type) if r.flavor == name and r.package), None
        )
        raise FlavorNotFoundError(
            missing_flavor_message(component_type, name, self.flavors(component_type), package),
            kind=component_type.display_name + " flavor",
            name=name,
            package=package,
        )

    def for_record(self, record: ComponentRecord) -> Flavor:
        """The flavor of a stored component, or an error saying what to install."""
        try:
            return self.get(record.type, record.flavor)
        except FlavorNotFoundError:
            raise FlavorNotFoundError(
                f"The {record.type.display_name} '{record.name}' uses the flavor '{record.flavor}': "
                f"{self.unavailable_note(record)}.",
                kind=record.type.display_name + " flavor",
                name=record.flavor,
                package=record.package,
            ) from None

    def note(self, record: ComponentRecord) -> str | None:
        """``None`` if a stored component's flavor can be used, else why not."""
        if record.flavor in self.names(record.type):
            return None
        return self.unavailable_note(record)

    def unavailable_note(self, record: ComponentRecord) -> str:
        """Why a stored component's flavor cannot be used: its plugin is disabled, or not installed."""
        from stackyard.plugins import DISABLE_ENV

        if record.package:
            for info in self.registry.plugins:
                if info.status == "disabled" and info.package == record.package:
                    return f"flavor disabled (plugin {info.name} of {info.package} is off: {DISABLE_ENV} or --no-plugins)"
        return record.missing_flavor_note

    # -- custom flavors -----------------------------------------------------

    def _load_custom(self, record: CustomFlavorRecord) -> Flavor:
        from stackyard.plugins import CUSTOM_PACKAGE, Flavor

        cls = _import_flavor(record.source, record.type, record.root)
        return Flavor(record.type, record.name, cls, record.source, CUSTOM_PACKAGE)

    def register(self, source: str, component_type: StackComponentType | None) -> Flavor:
        """Register a flavor class by import path, importable from this repository's root (or the cwd)."""
        from stackyard.plugins import CUSTOM_PACKAGE, Flavor

        root = self.root or Path.cwd()
        cls = _import_flavor(source, component_type, str(root))
        component_type = cls.TYPE
        installed = self.registry.find(component_type, cls.FLAVOR)
        if installed is not None:
            raise FlavorExistsError(
                f"The {component_type.display_name} flavor '{cls.FLAVOR}' is already provided by "
                f"{installed.package_label}; choose another FLAVOR name.",
                kind=component_type.display_name + " flavor",
                name=cls.FLAVOR,
            )
        with self.store.lock():
            existing = self.store.custom_flavors(component_type).get(cls.FLAVOR)
            if existing is not None and existing.source != source:
                raise FlavorExistsError(
                    f"The {component_type.display_name} flavor '{cls.FLAVOR}' is already registered "
                    f"from {existing.source}; choose another FLAVOR name.",
                    kind=component_type.display_name + " flavor",
                    name=cls.FLAVOR,
                )
            self.store.save_custom_flavor(component_type, cls.FLAVOR, source, str(root) if _needs_root(cls, root) else None)
        return Flavor(component_type, cls.FLAVOR, cls, source, CUSTOM_PACKAGE)

    def deregister(self, component_type: StackComponentType, name: str) -> None:
        """Forget a custom flavor; refused while components use it."""
        store = self.store
        with store.lock():
            if name not in store.custom_flavors(component_type):
                installed = self.registry.find(component_type, name)
                if installed is not None:
                    raise InUseError(
                        f"The {component_type.display_name} flavor '{name}' comes from the installed package "
                        f"{installed.package_label}; uninstall the package to remove it.",
                        kind=component_type.display_name + " flavor",
                        name=name,
                    )
                raise FlavorNotFoundError(
                    f"No custom {component_type.display_name} flavor named '{name}'.",
                    kind=component_type.display_name + " flavor",
                    name=name,
                )
            users = [r.name for r in store.components(component_type) if r.flavor == name]
            if users:
                raise InUseError(
                    f"The {component_type.display_name} flavor '{name}' is used by "
                    + (f"component {users[0]!r}; delete that component first." if len(users) == 1 else
                       f"components {', '.join(repr(u) for u in users)}; delete those components first."),
                    kind=component_type.display_name + " flavor",
                    name=name,
                )
            store.delete_custom_flavor(component_type, name)


def _import_flavor(source: str, component_type: StackComponentType | None, root: str | None) -> type:
    """Import a flavor class, with ``root`` (if any) at the end of ``sys.path``.

    Appended, never prepended: a folder can add modules, not shadow installed
    ones. It stays there so worker processes can import the class again.
    """
    from stackyard.plugins import check_flavor_class, import_object

    if root is not None and root not in sys.path and Path(root).is_dir():
        sys.path.append(root)
    return check_flavor_class(import_object(source), component_type)


def _needs_root(cls: type, root: Path) -> bool:
    """Whether the class was imported from under ``root`` (else it comes from an installed package)."""
    module = sys.modules.get(cls.__module__)
    origin = getattr(module, "__file__", None)
    if not origin:
        return False
    try:
        Path(origin).resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
