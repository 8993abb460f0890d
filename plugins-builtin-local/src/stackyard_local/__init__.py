"""Stackyard's default flavors: local orchestrator, local artifact store, SQLite metadata store.

They register through this package's ``stackyard.plugins`` entry point, like
any third-party flavor package, and are exported here for subclassing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "LocalArtifactStore",
    "LocalOrchestrator",
    "LocalSecretsManager",
    "SQLiteMetadataStore",
    "__version__",
]

if TYPE_CHECKING:
    from stackyard_local.artifact_store import LocalArtifactStore
    from stackyard_local.metadata_store import SQLiteMetadataStore
    from stackyard_local.orchestrator import LocalOrchestrator
    from stackyard_local.secrets_manager import LocalSecretsManager

_EXPORTS = {
    "LocalArtifactStore": "stackyard_local.artifact_store",
    "LocalOrchestrator": "stackyard_local.orchestrator",
    "SQLiteMetadataStore": "stackyard_local.metadata_store",
    "LocalSecretsManager": "stackyard_local.secrets_manager",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stackyard_local' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
