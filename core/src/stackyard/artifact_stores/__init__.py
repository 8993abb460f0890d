"""Artifact stores: where the outputs of steps are kept."""

from stackyard.artifact_stores.base_artifact_store import BaseArtifactStore

__all__ = ["BaseArtifactStore"]
