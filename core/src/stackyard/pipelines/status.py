"""The status of a pipeline run or of one of its steps."""

from __future__ import annotations

from enum import Enum


class ExecutionStatus(str, Enum):
    """``running`` while it runs; then ``completed``, ``cached`` (served from cache), ``failed``, or
    ``crashed``: the process running it ended without recording an outcome (killed, lost its machine).
    """

    RUNNING = "running"
    COMPLETED = "completed"
    CACHED = "cached"
    FAILED = "failed"
    CRASHED = "crashed"

    def __str__(self) -> str:
        return self.value

    @property
    def is_finished(self) -> bool:
        """Whether it has stopped (successfully or not)."""
        return self is not ExecutionStatus.RUNNING

    @property
    def is_successful(self) -> bool:
        """Whether it produced its outputs (ran or came from cache)."""
        return self in (ExecutionStatus.COMPLETED, ExecutionStatus.CACHED)
