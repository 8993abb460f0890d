"""Container registries: where images for remote execution are pushed."""

from stackyard.container_registries.base_container_registry import BaseContainerRegistry, ContainerRegistryError
from stackyard.container_registries.rules import REQUIRES_CONTAINER_REGISTRY, container_registry_problems

__all__ = [
    "REQUIRES_CONTAINER_REGISTRY",
    "BaseContainerRegistry",
    "ContainerRegistryError",
    "container_registry_problems",
]
