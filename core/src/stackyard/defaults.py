"""The ``default`` stack every new profile starts with."""

from __future__ import annotations

import logging
from pathlib import Path

from stackyard.enums import StackComponentType
from stackyard.exceptions import FlavorNotFoundError, PluginMissingError
from stackyard.records import ComponentRecord, StackRecord

logger = logging.getLogger("stackyard")

DEFAULT_FLAVORS = {
    StackComponentType.ORCHESTRATOR: "local",
    StackComponentType.METADATA_STORE: "sqlite",
    StackComponentType.ARTIFACT_STORE: "local",
}
DEFAULT_PACKAGE = "stackyard-local"


def create_default_stack(store, local_stores_path: Path, cache_dir: Path) -> None:  # store: LocalStore
    """Register the ``default`` components and the ``default`` stack in ``store`` (plugin discovery cached in ``cache_dir``)."""
    from stackyard.plugins import get_default_flavors_registry

    logger.info("Initializing store...")
    registry = get_default_flavors_registry(cache_dir)  # never needs any other plugin to work
    records = []
    for component_type, flavor_name in DEFAULT_FLAVORS.items():
        try:
            flavor = registry.get(component_type, flavor_name)
        except FlavorNotFoundError:
            raise PluginMissingError(
                f"The default stack needs the {component_type.display_name} flavor "
                f"'{flavor_name}' from the package '{DEFAULT_PACKAGE}', which is not "
                f"installed (or failed to load): pip install {DEFAULT_PACKAGE}"
            ) from None
        component = flavor.implementation.create_default("default", str(local_stores_path))
        records.append(ComponentRecord.of(component, flavor.package))
    with store.lock():  # the stack and its new components all together (see stackyard.journal)
        new = [r for r in records if not store.has_component(r.type, r.name)]
        stack_is_new = not store.has_stack("default")
        if stack_is_new:
            store.create_stack(StackRecord("default", {r.type: r.name for r in records}), new)
        else:
            for record in new:
                store.create_component(record)
    for record in new:
        logger.info("Registered stack component with type '%s' and name '%s'.", record.type.value, record.name)
    if stack_is_new:
        logger.info("Registered stack with name 'default'.")
