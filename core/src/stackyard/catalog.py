"""Stacks and stack components of one profile, over its store.

Components are stored as :class:`~stackyard.records.ComponentRecord`s and
come back as instances of their flavor class; a component whose flavor is not
installed comes back as an :class:`~stackyard.stack.unavailable.UnavailableComponent`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import (
    ComponentConfigError,
    FlavorNotFoundError,
    InUseError,
    InvalidFlavorError,
    StackComponentExistsError,
)
from stackyard.names import validate_name
from stackyard.records import ComponentRecord, StackRecord, same_component

if TYPE_CHECKING:
    from stackyard.flavor_resolver import FlavorResolver
    from stackyard.plugins import Flavor
    from stackyard.stack.stack import Stack
    from stackyard.stack.stack_component import StackComponent
    from stackyard.store import LocalStore

logger = logging.getLogger("stackyard")

_LOADED = "_loaded_from_store"
"""Marks a component read from the store: a stack naming it needs it still there, never re-created."""


class Catalog:
    """Registers, reads, changes and deletes the stacks and components of one store."""

    def __init__(self, store: LocalStore, flavors: FlavorResolver) -> None:
        self.store = store
        self.flavors = flavors

    # -- components -----------------------------------------------------------

    def load(self, record: ComponentRecord) -> StackComponent:
        """A stored component as an instance of its flavor (:class:`FlavorNotFoundError` if unavailable)."""
        component = self.flavors.for_record(record).implementation.from_record(record)
        component.__dict__[_LOADED] = True  # registering it again must find it still stored
        return component

    def load_or_unavailable(self, record: ComponentRecord) -> Any:
        """Like :meth:`load`, but a missing flavor gives an object that lists and describes but cannot run."""
        from stackyard.stack.unavailable import UnavailableComponent

        try:
            return self.load(record)
        except FlavorNotFoundError:
            return UnavailableComponent(record, self.flavors.unavailable_note(record))

    def component(self, component_type: StackComponentType, name: str) -> StackComponent:
        """One component as an instance of its flavor class."""
        return self.load(self.store.get_component(component_type, name))

    def register_component(self, component: StackComponent) -> None:
        """Register a component; its flavor must be installed or custom in this profile."""
        self.store.create_component(self._record(component))
        logger.info("Registered stack component with type '%s' and name '%s'.", component.TYPE.value, component.name)

    def register_from_config(
        self, component_type: StackComponentType, name: str, flavor_name: str, config: Mapping[str, Any]
    ) -> StackComponent:
        """Build a component of a flavor from plain configuration and register it (one flavor look-up)."""
        flavor = self.flavors.get(component_type, flavor_name)
        component = flavor.create(name, config)
        self.store.create_component(self._record(component, flavor))
        logger.info("Registered stack component with type '%s' and name '%s'.", component_type.value, name)
        return component

    def register_components(self, components: Iterable[StackComponent]) -> None:
        """Register many components in one locked, all-or-nothing change (see ``LocalStore.create_components``)."""
        flavors: dict[tuple[StackComponentType, str], Flavor] = {}
        records = []
        for component in components:
            key = (component.TYPE, component.FLAVOR)
            flavor = flavors.get(key)
            if flavor is None:
                flavor = flavors[key] = self.flavors.get(*key)
            records.append(self._record(component, flavor))
        self.store.create_components(records)
        logger.info("Registered %d stack components.", len(records))

    def _record(self, component: StackComponent, flavor: Flavor | None = None) -> ComponentRecord:
        """The stored form of a new component, whose flavor must be the registered one of its name."""
        if flavor is None:
            flavor = self.flavors.get(component.TYPE, component.FLAVOR)
        if type(component) is not flavor.implementation:
            raise InvalidFlavorError(
                f"{type(component).__qualname__} is not the registered {component.TYPE.display_name} "
                f"flavor '{component.FLAVOR}' ({flavor.source}); register it with "
                "Repository().register_flavor('package.module.Class') under another FLAVOR name."
            )
        return ComponentRecord.of(component, None if flavor.is_custom else flavor.package)

    def update_component(
        self, component_type: StackComponentType, name: str, config: Mapping[str, Any], remove: Iterable[str]
    ) -> StackComponent:
        """Change parameters of a component; ``remove`` unsets optional ones."""
        with self.store.lock():
            record = self.store.get_component(component_type, name)
            flavor = self.flavors.for_record(record)
            params = flavor.parameters
            merged = {**record.config, **config}
            valid = [p.describe() for p in params.values()]
            for key in remove:
                if key not in params:
                    raise ComponentConfigError(record.flavor, [f"unknown parameter {key}"], valid)
                if params[key].required:
                    raise ComponentConfigError(
                        record.flavor, [f"{key} is required and cannot be removed; set another value instead"], valid
                    )
                merged.pop(key, None)
            component = flavor.implementation.from_config(record.name, merged, uuid=record.uuid)
            self._check_stacks_with(component)
            self.store.update_component(ComponentRecord.of(component, record.package))
        return component

    def _check_stacks_with(self, component: StackComponent) -> None:
        """Validate every stack using ``component``'s name as if it had this configuration."""
        from stackyard.stack.stack import Stack

        for stack_name in self.store.stacks_using(component.TYPE, component.name):
            record = self.store.get_stack(stack_name)
            parts = {
                t: component if t is component.TYPE else self.component(t, n) for t, n in record.components.items()
            }
            Stack.from_components(stack_name, parts).validate()

    def rename_component(self, component_type: StackComponentType, old: str, new: str) -> None:
        """Rename a component; the stacks that use it follow, in one all-or-nothing change."""
        validate_name("stack component", new)
        self.store.rename_component(component_type, old, new)

    def deregister_component(self, component_type: StackComponentType, name: str) -> None:
        """Delete a component that no stack uses."""
        store = self.store
        with store.lock():
            if not store.has_component(component_type, name):
                store.get_component(component_type, name)  # raises not-found with a suggestion
            users = store.stacks_using(component_type, name)
            if users:
                raise InUseError(
                    f"The {component_type.display_name} '{name}' is used by "
                    + (f"stack {users[0]!r}; remove it from that stack first." if len(users) == 1 else
                       f"stacks {', '.join(repr(u) for u in users)}; remove it from those stacks first."),
                    kind=component_type.display_name,
                    name=name,
                    stacks=users,
                )
            store.delete_component(component_type, name)
        logger.info("Deregistered stack component with type '%s' and name '%s'.", component_type.value, name)

    # -- stacks -----------------------------------------------------------------

    def stack(self, name: str) -> Stack:
        """A stack with its components loaded through their flavors."""
        return self._stack_of(self.store.get_stack(name))

    def _stack_of(self, record: StackRecord) -> Stack:
        from stackyard.stack.stack import Stack

        components = {t: self.component(t, n) for t, n in record.components.items()}
        return Stack.from_components(record.name, components)

    def register_stack(self, stack: Stack) -> None:
        """Register a valid stack; its new components are registered with it, all or nothing.

        A component whose name is registered already must be that very
        component (same uuid, flavor and configuration, see
        :func:`~stackyard.records.same_component`); one read from the store
        must still be there (deleted meanwhile, it is refused, not re-created).
        """
        store = self.store
        validate_name("stack", stack.name)
        stack.validate()
        with store.lock():
            store.check_new_stack(stack.name)
            new = []
            for component in stack:
                if store.has_component(component.TYPE, component.name):
                    if not same_component(store.get_component(component.TYPE, component.name), component):
                        raise StackComponentExistsError(
                            f"A different {component.TYPE.display_name} named '{component.name}' "
                            "is already registered; rename one of them.",
                            kind=component.TYPE.display_name,
                            name=component.name,
                        )
                elif component.__dict__.get(_LOADED):
                    store.get_component(component.TYPE, component.name)  # raises: deleted since it was read
                else:
                    new.append(self._record(component))
            store.create_stack(StackRecord(stack.name, {c.TYPE: c.name for c in stack}), new)
        for record in new:
            logger.info("Registered stack component with type '%s' and name '%s'.", record.type.value, record.name)
        logger.info("Registered stack with name '%s'.", stack.name)

    def register_stack_from_names(self, name: str, components: Mapping[StackComponentType, str]) -> None:
        """Register a stack of registered components, named by type; never registers a component.

        Under the store's lock each component must exist, and the stack be
        valid, so a component deleted concurrently is refused.
        """
        from stackyard.stack.stack import Stack

        validate_name("stack", name)
        with self.store.lock():
            self.store.check_new_stack(name)
            Stack.from_components(name, {t: self.component(t, n) for t, n in components.items()}).validate()
            self.store.create_stack(StackRecord(name, dict(components)))
        logger.info("Registered stack with name '%s'.", name)

    def update_stack(self, name: str, components: Mapping[StackComponentType, str | None]) -> None:
        """Change a stack's components by type; ``None`` removes an optional one."""
        store = self.store
        with store.lock():
            record = store.get_stack(name)
            for component_type, component_name in components.items():
                if component_name is None:
                    if component_type.is_required:
                        raise InUseError(
                            f"The {component_type.display_name} is required; a stack cannot be without one.",
                            kind=component_type.display_name,
                        )
                    record.components.pop(component_type, None)
                else:
                    store.get_component(component_type, component_name)
                    record.components[component_type] = component_name
            self._stack_of(record).validate()
            store.update_stack(record)

    def copy_stack(self, source: str, target: str) -> None:
        """Register ``target`` with the same components as ``source``."""
        validate_name("stack", target)
        with self.store.lock():
            record = self.store.get_stack(source)
            self.store.create_stack(StackRecord(target, record.components))

    def rename_stack(self, old: str, new: str, pointers: Iterable[tuple[Path, Path, str | None]] = ()) -> None:
        """Rename a stack and move the settings naming it active (``(file, lock folder, profile)`` each)."""
        validate_name("stack", new)
        self.store.rename_stack(old, new, pointers)
