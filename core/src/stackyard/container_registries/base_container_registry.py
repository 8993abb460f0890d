"""The container registry base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseContainerRegistry(StackComponent):
    """A registry at ``uri`` that images for remote orchestrators are pushed to."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.CONTAINER_REGISTRY

    uri: str
    """Address of the registry, e.g. localhost:5000 or registry.example.com/team."""

    @property
    def is_local(self) -> bool:
        """Whether the registry runs on this machine (``localhost`` or ``127.0.0.1``)."""
        return self.uri.split("/")[0].split(":")[0] in ("localhost", "127.0.0.1")

    @abstractmethod
    def push_image(self, image_name: str) -> str:
        """Push a local image into the registry and return its full reference."""
