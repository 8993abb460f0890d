"""The hooks a Stackyard plugin can implement.

A plugin is a module (or object) named by an entry point in the
``stackyard.plugins`` group of its distribution's ``pyproject.toml``::

    [project.entry-points."stackyard.plugins"]
    my_plugin = "my_package.plugin"

The module implements any of the hooks below, marked with
``from stackyard import hookimpl``. There is one ``stackyard_<type>_flavors``
hook per stack component type, returning the flavor classes (concrete
subclasses of that type's base class) the plugin provides, plus hooks for
materializers and CLI commands. Keep plugin modules cheap to import: import
heavy dependencies inside the methods that use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pluggy

PROJECT_NAME = "stackyard"
ENTRY_POINT_GROUP = "stackyard.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
"""Marker for the hook specifications below."""
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations in plugin modules (also ``stackyard.hookimpl``)."""


@hookspec
def stackyard_orchestrator_flavors() -> Sequence[type]:
    """Orchestrator flavors (subclasses of ``stackyard.orchestrators.BaseOrchestrator``).

    Example::

        @hookimpl
        def stackyard_orchestrator_flavors():
            from my_package.orchestrator import MyOrchestrator
            return [MyOrchestrator]
    """


@hookspec
def stackyard_artifact_store_flavors() -> Sequence[type]:
    """Artifact store flavors (subclasses of ``stackyard.artifact_stores.BaseArtifactStore``).

    Example::

        @hookimpl
        def stackyard_artifact_store_flavors():
            from my_package.stores import MyArtifactStore
            return [MyArtifactStore]
    """


@hookspec
def stackyard_metadata_store_flavors() -> Sequence[type]:
    """Metadata store flavors (subclasses of ``stackyard.metadata_stores.BaseMetadataStore``).

    Example::

        @hookimpl
        def stackyard_metadata_store_flavors():
            from my_package.metadata import MyMetadataStore
            return [MyMetadataStore]
    """


@hookspec
def stackyard_container_registry_flavors() -> Sequence[type]:
    """Container registry flavors (subclasses of ``stackyard.container_registries.BaseContainerRegistry``).

    Example::

        @hookimpl
        def stackyard_container_registry_flavors():
            from my_package.registry import MyContainerRegistry
            return [MyContainerRegistry]
    """


@hookspec
def stackyard_secrets_manager_flavors() -> Sequence[type]:
    """Secrets manager flavors (subclasses of ``stackyard.secrets_managers.BaseSecretsManager``).

    Example::

        @hookimpl
        def stackyard_secrets_manager_flavors():
            from my_package.secrets import MySecretsManager
            return [MySecretsManager]
    """


@hookspec
def stackyard_step_operator_flavors() -> Sequence[type]:
    """Step operator flavors (subclasses of ``stackyard.step_operators.BaseStepOperator``).

    Example::

        @hookimpl
        def stackyard_step_operator_flavors():
            from my_package.operator import MyStepOperator
            return [MyStepOperator]
    """


@hookspec
def stackyard_model_deployer_flavors() -> Sequence[type]:
    """Model deployer flavors (subclasses of ``stackyard.model_deployers.BaseModelDeployer``).

    Example::

        @hookimpl
        def stackyard_model_deployer_flavors():
            from my_package.deployer import MyModelDeployer
            return [MyModelDeployer]
    """


@hookspec
def stackyard_feature_store_flavors() -> Sequence[type]:
    """Feature store flavors (subclasses of ``stackyard.feature_stores.BaseFeatureStore``).

    Example::

        @hookimpl
        def stackyard_feature_store_flavors():
            from my_package.features import MyFeatureStore
            return [MyFeatureStore]
    """


@hookspec
def stackyard_experiment_tracker_flavors() -> Sequence[type]:
    """Experiment tracker flavors (subclasses of ``stackyard.experiment_trackers.BaseExperimentTracker``).

    Example::

        @hookimpl
        def stackyard_experiment_tracker_flavors():
            from my_package.tracker import MyExperimentTracker
            return [MyExperimentTracker]
    """


@hookspec
def stackyard_alerter_flavors() -> Sequence[type]:
    """Alerter flavors (subclasses of ``stackyard.alerters.BaseAlerter``).

    Example::

        @hookimpl
        def stackyard_alerter_flavors():
            from my_package.alerter import MyAlerter
            return [MyAlerter]
    """


@hookspec
def stackyard_materializers() -> Sequence[type]:
    """Materializers (subclasses of ``stackyard.materializers.BaseMaterializer``) for more types.

    A plugin's materializer replaces a built-in one for the same type. Only
    their import paths are kept; a class is imported when a run needs it.

    Example::

        @hookimpl
        def stackyard_materializers():
            from my_package.materializers import TorchMaterializer  # ASSOCIATED_TYPES = ("torch.Tensor",)
            return [TorchMaterializer]
    """


@hookspec
def stackyard_cli_commands() -> Sequence[Any]:
    """CLI commands: ``stackyard.plugins.CliCommand`` records naming click commands by import path.

    ``stackyard --help`` lists them without importing them; the command is
    imported when it runs. A name taken by a built-in command is refused.

    Example::

        from stackyard.plugins import CliCommand

        @hookimpl
        def stackyard_cli_commands():
            return [CliCommand(name="dashboard", source="my_package.cli:dashboard", help="Serve the dashboard.")]
    """

