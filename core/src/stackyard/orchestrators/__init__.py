"""Orchestrators: run a pipeline's steps in dependency order."""

from stackyard.orchestrators.base_orchestrator import BaseOrchestrator

__all__ = ["BaseOrchestrator"]
