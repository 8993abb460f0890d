"""Flavors of packages maintained with Stackyard, so an error can say what to install."""

from __future__ import annotations

from stackyard.enums import StackComponentType

_KNOWN: dict[tuple[str, str], str] = {
    ("orchestrator", "local"): "stackyard-local",
    ("artifact_store", "local"): "stackyard-local",
    ("metadata_store", "sqlite"): "stackyard-local",
    ("secrets_manager", "local"): "stackyard-local",
}


def package_for(component_type: StackComponentType, flavor: str) -> str | None:
    """The distribution known to provide that flavor, if any."""
    return _KNOWN.get((component_type.value, flavor))
