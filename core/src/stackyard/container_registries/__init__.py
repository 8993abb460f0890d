"""Container registries: where images for remote execution are pushed."""

from stackyard.container_registries.base_container_registry import BaseContainerRegistry

__all__ = ["BaseContainerRegistry"]
