"""Metadata stores: the record of pipelines, runs, steps and artifacts."""

from stackyard.metadata_stores.base_metadata_store import BaseMetadataStore

__all__ = ["BaseMetadataStore"]
