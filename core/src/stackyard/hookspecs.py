"""The hooks a Stackyard plugin can implement.

A plugin is a module (or object) named by an entry point in the
``stackyard.plugins`` group of its distribution's ``pyproject.toml``::

    [project.entry-points."stackyard.plugins"]
    my_plugin = "my_package.plugin"

The module implements any of the hooks below with :data:`hookimpl`::

    from stackyard import hookimpl

    @hookimpl
    def stackyard_artifact_store_flavors():
        from my_package.stores import MyArtifactStore
        return [MyArtifactStore]

There is one ``stackyard_<type>_flavors`` hook per stack component type; each
returns the flavor classes (concrete subclasses of that type's base class)
the plugin provides. Keep plugin and flavor modules cheap to import: import
heavy dependencies inside the methods that use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

PROJECT_NAME = "stackyard"
ENTRY_POINT_GROUP = "stackyard.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marker for hook implementations in plugin modules."""


@hookspec
def stackyard_orchestrator_flavors() -> Sequence[type]:
    """Orchestrator flavors (subclasses of ``stackyard.orchestrators.BaseOrchestrator``)."""


@hookspec
def stackyard_artifact_store_flavors() -> Sequence[type]:
    """Artifact store flavors (subclasses of ``stackyard.artifact_stores.BaseArtifactStore``)."""


@hookspec
def stackyard_metadata_store_flavors() -> Sequence[type]:
    """Metadata store flavors (subclasses of ``stackyard.metadata_stores.BaseMetadataStore``)."""


@hookspec
def stackyard_container_registry_flavors() -> Sequence[type]:
    """Container registry flavors (subclasses of ``BaseContainerRegistry``)."""


@hookspec
def stackyard_secrets_manager_flavors() -> Sequence[type]:
    """Secrets manager flavors (subclasses of ``BaseSecretsManager``)."""


@hookspec
def stackyard_step_operator_flavors() -> Sequence[type]:
    """Step operator flavors (subclasses of ``BaseStepOperator``)."""


@hookspec
def stackyard_model_deployer_flavors() -> Sequence[type]:
    """Model deployer flavors (subclasses of ``BaseModelDeployer``)."""


@hookspec
def stackyard_feature_store_flavors() -> Sequence[type]:
    """Feature store flavors (subclasses of ``BaseFeatureStore``)."""


@hookspec
def stackyard_experiment_tracker_flavors() -> Sequence[type]:
    """Experiment tracker flavors (subclasses of ``BaseExperimentTracker``)."""


@hookspec
def stackyard_alerter_flavors() -> Sequence[type]:
    """Alerter flavors (subclasses of ``stackyard.alerters.BaseAlerter``)."""


@hookspec
def stackyard_materializers() -> Sequence[type]:
    """Materializers (subclasses of ``stackyard.materializers.BaseMaterializer``) for more types.

    Example::

        @hookimpl
        def stackyard_materializers():
            from my_package.materializers import TorchMaterializer  # ASSOCIATED_TYPES = ("torch.Tensor",)
            return [TorchMaterializer]

    A plugin's materializer replaces a built-in one for the same type.
    """


def flavor_hook_name(component_type: object) -> str:
    """The hook that returns flavors of ``component_type``, e.g. ``stackyard_alerter_flavors``."""
    return f"stackyard_{getattr(component_type, 'value', component_type)}_flavors"
