"""An orchestrator that runs steps on this machine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stackyard.orchestrators import BaseOrchestrator

if TYPE_CHECKING:
    from stackyard.stack import Stack


class LocalOrchestrator(BaseOrchestrator):
    """Runs a pipeline's steps in dependency order in the current process."""

    FLAVOR: ClassVar[str] = "local"

    def run_pipeline(
        self, pipeline: Any, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> Any:
        from stackyard.exceptions import StackyardError

        raise StackyardError(
            "Running pipelines is not available in this version of stackyard-local."
        )
