"""Metadata stores: the record of pipelines, runs, steps and artifacts, and whether a run's process lives."""

from stackyard.metadata_stores.base_metadata_store import BaseMetadataStore
from stackyard.metadata_stores.liveness import Heartbeat, crash_reason, current_owner, owner_is_gone, pid_exists

__all__ = ["BaseMetadataStore", "Heartbeat", "crash_reason", "current_owner", "owner_is_gone", "pid_exists"]
