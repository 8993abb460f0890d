"""The container registry base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackyardError
from stackyard.stack.stack_component import StackComponent


class ContainerRegistryError(StackyardError):
    """A registry could not be reached, refused the credentials, or has no such image; the message names the fix."""


class BaseContainerRegistry(StackComponent):
    """A registry at ``uri`` that images for remote orchestrators are pushed to.

    Flavors implement :meth:`push_image`; the listing, checking and pulling
    methods are optional (the defaults say the flavor cannot do it), and
    ``ContainerRegistryConformance`` checks the flavors that implement them.
    """

    TYPE: ClassVar[StackComponentType] = StackComponentType.CONTAINER_REGISTRY

    uri: str
    """Address of the registry, e.g. localhost:5000 or registry.example.com/team."""

    @property
    def is_local(self) -> bool:
        """Whether the registry runs on this machine (``localhost`` or ``127.0.0.1``)."""
        host = self.uri.split("://", 1)[-1]
        return host.split("/")[0].split(":")[0] in ("localhost", "127.0.0.1")

    @abstractmethod
    def push_image(self, image_name: str, source: str | None = None) -> str:
        """Push an image as ``image_name`` (``repository:tag``) and return its full reference.

        ``source`` is where the image is taken from (an image archive, for
        flavors that push archives); ``None``: the flavor's local default.
        """

    def _cannot(self, what: str) -> ContainerRegistryError:
        return ContainerRegistryError(
            f"The container registry '{self.name}' (flavor {self.FLAVOR}) cannot {what}; "
            "use a flavor that can, such as 'default' from stackyard-local"
        )

    def check_connection(self) -> None:
        """Raise :class:`ContainerRegistryError` unless the registry answers and accepts the credentials."""
        raise self._cannot("check its connection")

    def list_repositories(self) -> list[str]:
        """Names of the repositories in the registry (under ``uri``'s namespace), sorted."""
        raise self._cannot("list repositories")

    def list_tags(self, repository: str) -> list[str]:
        """Tags of ``repository``, sorted (:class:`ContainerRegistryError` if it does not exist)."""
        raise self._cannot("list tags")

    def pull_image(self, image_name: str, destination: str) -> str:
        """Pull ``image_name`` (``repository:tag``) into an image archive at ``destination``; return its path."""
        raise self._cannot("pull images")

    def image_reference(self, image_name: str) -> str:
        """The full reference of ``image_name`` (``repository:tag``) in this registry."""
        host = self.uri.split("://", 1)[-1].rstrip("/")
        return f"{host}/{image_name}"
