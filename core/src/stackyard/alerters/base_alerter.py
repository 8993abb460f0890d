"""The alerter base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import attrs

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent

if TYPE_CHECKING:
    from stackyard.pipelines.hooks import Outcome, PipelineRunInfo


class BaseAlerter(StackComponent):
    """Sends messages to people (chat, e-mail, ...) and can ask them yes/no questions.

    With ``post_on_failure`` set, every failed run of a stack holding the
    alerter posts a message (from :meth:`cleanup_pipeline_run`; a flavor
    overriding that calls ``super().cleanup_pipeline_run(info, outcome)``).
    """

    TYPE: ClassVar[StackComponentType] = StackComponentType.ALERTER

    post_on_failure: bool = attrs.field(
        default=False, metadata={"doc": "post a message when a pipeline run on this stack fails"}
    )

    @abstractmethod
    def post(self, message: str) -> bool:
        """Send ``message``; return whether it was delivered."""

    @abstractmethod
    def ask(self, question: str) -> bool:
        """Ask ``question`` and return whether the answer was yes."""

    def failure_message(self, info: PipelineRunInfo, outcome: Outcome) -> str:
        """The message posted when run ``info`` failed (override to change it)."""
        from stackyard.pipelines.deployment import _error_line

        reason = _error_line(outcome.exception) if outcome.exception is not None else "unknown error"
        return f"Pipeline run '{info.run_name}' of pipeline '{info.pipeline_name}' failed: {reason}"

    def cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome) -> None:
        """Post :meth:`failure_message` when the run failed and ``post_on_failure`` is set."""
        if self.post_on_failure and outcome.failed:
            self.post(self.failure_message(info, outcome))
