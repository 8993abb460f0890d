"""The secrets manager base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseSecretsManager(StackComponent):
    """Keeps named secrets, each a mapping of keys to string values."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.SECRETS_MANAGER

    @abstractmethod
    def register_secret(self, name: str, values: Mapping[str, str]) -> None:
        """Store a new secret (:class:`~stackyard.exceptions.SecretExistsError` if it exists)."""

    @abstractmethod
    def get_secret(self, name: str) -> dict[str, str]:
        """The values of a secret (:class:`~stackyard.exceptions.SecretNotFoundError` if missing)."""

    @abstractmethod
    def get_all_secret_keys(self) -> list[str]:
        """The names of every secret, sorted."""

    @abstractmethod
    def update_secret(self, name: str, values: Mapping[str, str]) -> None:
        """Replace the values of an existing secret (``SecretNotFoundError`` if missing)."""

    @abstractmethod
    def delete_secret(self, name: str) -> None:
        """Delete a secret (``SecretNotFoundError`` if missing)."""
