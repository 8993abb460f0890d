"""The model deployer base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseModelDeployer(StackComponent):
    """Serves models online and keeps track of the servers it started."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.MODEL_DEPLOYER

    @abstractmethod
    def deploy_model(self, model_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """Start (or update) a server for the model at ``model_uri``; return its description."""

    @abstractmethod
    def find_model_server(self, **criteria: Any) -> list[dict[str, Any]]:
        """Servers matching ``criteria`` (pipeline name, step name, model name, ...)."""

    @abstractmethod
    def stop_model_server(self, server_id: str) -> None:
        """Stop a running server, keeping its record."""

    @abstractmethod
    def delete_model_server(self, server_id: str) -> None:
        """Stop a server and forget it."""
