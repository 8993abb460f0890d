"""Hook implementations registering the ``local`` model deployer (entry point ``serve``)."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_model_deployer_flavors() -> list[type]:
    from stackyard_serve.model_deployer import LocalModelDeployer

    return [LocalModelDeployer]
