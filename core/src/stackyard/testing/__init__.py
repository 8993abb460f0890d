"""Test helpers for flavor authors: fixtures and conformance suites.

Installing ``stackyard-core`` registers a pytest plugin (entry point
``pytest11``) that provides these fixtures in any test suite:

``stackyard_config``
    An isolated global config directory (``STACKYARD_CONFIG_PATH``) with the
    ``STACKYARD_*`` environment variables cleared.
``stackyard_repository``
    A :class:`~stackyard.Repository` initialized in a temporary project folder
    that is also the working directory.

Installing ``stackyard-cli`` adds ``stackyard_cli``, which runs ``stackyard``
commands in-process: ``stackyard_cli("stack", "list")`` returns a result with
``exit_code`` and ``output``.

The conformance suites check the whole contract of a component type. Subclass
one in a ``Test*`` class and provide a fixture that returns your flavor::

    from stackyard.testing import ArtifactStoreConformance

    class TestMyStore(ArtifactStoreConformance):
        @pytest.fixture
        def artifact_store(self, tmp_path):
            return MyStore(name="test", path=str(tmp_path))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each suite by the module that holds it, imported on first use.
_SUITES = {
    "AlerterConformance": "conformance",
    "ArtifactStoreConformance": "conformance",
    "ComponentConformance": "conformance",
    "ExperimentTrackerConformance": "conformance",
    "MetadataStoreConformance": "conformance",
    "OrchestratorConformance": "conformance",
    "SecretsManagerConformance": "conformance",
    "StepOperatorConformance": "conformance",
    "ModelDeployerConformance": "model_deployer_conformance",
    "FeatureStoreConformance": "feature_store_conformance",
    "FeatureCase": "feature_store_conformance",
    "ContainerRegistryConformance": "container_registry_conformance",
}

__all__ = sorted(_SUITES)

if TYPE_CHECKING:
    from stackyard.testing.conformance import (
        AlerterConformance,
        ArtifactStoreConformance,
        ComponentConformance,
        ExperimentTrackerConformance,
        MetadataStoreConformance,
        OrchestratorConformance,
        SecretsManagerConformance,
        StepOperatorConformance,
    )
    from stackyard.testing.container_registry_conformance import ContainerRegistryConformance
    from stackyard.testing.feature_store_conformance import FeatureCase, FeatureStoreConformance
    from stackyard.testing.model_deployer_conformance import ModelDeployerConformance


def __getattr__(name: str) -> Any:
    module = _SUITES.get(name)
    if module is None:
        raise AttributeError(f"module 'stackyard.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stackyard.testing.{module}"), name)
