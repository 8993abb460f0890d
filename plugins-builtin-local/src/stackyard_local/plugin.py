"""Hook implementations registering the local flavors (entry point ``local``)."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_orchestrator_flavors() -> list[type]:
    from stackyard_local.orchestrator import LocalOrchestrator

    return [LocalOrchestrator]


@hookimpl
def stackyard_artifact_store_flavors() -> list[type]:
    from stackyard_local.artifact_store import LocalArtifactStore

    return [LocalArtifactStore]


@hookimpl
def stackyard_metadata_store_flavors() -> list[type]:
    from stackyard_local.metadata_store import SQLiteMetadataStore

    return [SQLiteMetadataStore]


@hookimpl
def stackyard_secrets_manager_flavors() -> list[type]:
    from stackyard_local.encrypted_secrets_manager import EncryptedSecretsManager
    from stackyard_local.secrets_manager import LocalSecretsManager

    return [LocalSecretsManager, EncryptedSecretsManager]


@hookimpl
def stackyard_step_operator_flavors() -> list[type]:
    from stackyard_local.step_operator import LocalStepOperator

    return [LocalStepOperator]


@hookimpl
def stackyard_container_registry_flavors() -> list[type]:
    from stackyard_local.container_registry import DefaultContainerRegistry

    return [DefaultContainerRegistry]
