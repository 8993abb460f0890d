"""The model deployer base abstraction.

A model deployer starts servers for model artifacts and keeps track of them.
Every method speaks of a server through its *description*: a dict of plain
JSON values holding at least

``id``
    The server's id (unique in this deployer).
``status``
    ``"running"`` or ``"stopped"`` (a server whose process died is stopped).
``prediction_url``
    Where ``POST`` requests get predictions (JSON in, JSON out).
``model_uri``
    The artifact it serves.
``pipeline_name``, ``run_name``, ``step_name``, ``model_name``
    Who deployed it (``None`` when deployed outside a pipeline).

``stackyard model-deployer models list|describe|logs|stop|delete`` work for
every flavor through these methods alone.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackyardError
from stackyard.stack.stack_component import StackComponent

RUNNING = "running"
STOPPED = "stopped"


class ModelServerNotFoundError(StackyardError, KeyError):
    """No server with that id (or id prefix) in the model deployer."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelDeploymentError(StackyardError):
    """A server could not be started, or did not become healthy."""


class BaseModelDeployer(StackComponent):
    """Serves models online and keeps track of the servers it started."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.MODEL_DEPLOYER

    @abstractmethod
    def deploy_model(self, model_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """Start a server for the model at ``model_uri``; return its description once it answers.

        ``config`` holds how to load the model (``materializer``, ``data_type``,
        ``artifact_store``: the store's record) and who deploys it
        (``pipeline_name``, ``run_name``, ``step_name``, ``model_name``). With
        ``replace`` (the default) the running servers of the same pipeline and
        step are stopped and forgotten once the new one is healthy.
        """

    @abstractmethod
    def find_model_server(self, **criteria: Any) -> list[dict[str, Any]]:
        """Descriptions of the servers whose fields equal ``criteria`` (``pipeline_name="p"``, ``status="running"``...)."""

    @abstractmethod
    def stop_model_server(self, server_id: str) -> None:
        """Stop a running server, keeping its record (nothing happens if it is stopped already)."""

    @abstractmethod
    def delete_model_server(self, server_id: str) -> None:
        """Stop a server and forget it."""

    # -- with defaults: flavors may do better -----------------------------------------

    def get_model_server(self, server_id: str) -> dict[str, Any]:
        """The description of one server, by id or unique id prefix (:class:`ModelServerNotFoundError`)."""
        servers = self.find_model_server()
        exact = [s for s in servers if s["id"] == server_id]
        matches = exact or [s for s in servers if server_id and str(s["id"]).startswith(server_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ModelServerNotFoundError(
                f"'{server_id}' matches {len(matches)} servers of model deployer '{self.name}'; give more of the id.",
                server_id=server_id,
            )
        raise ModelServerNotFoundError(
            f"No model server '{server_id}' in model deployer '{self.name}'; see: stackyard model-deployer models list.",
            server_id=server_id,
        )

    def get_logs(self, server_id: str, tail: int | None = None) -> str | None:
        """The server's log (its last ``tail`` lines), or ``None`` if this flavor keeps none."""
        return None
