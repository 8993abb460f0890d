"""The step operator base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseStepOperator(StackComponent):
    """Runs an individual step somewhere special (a GPU machine, a managed service).

    A step marked ``@step(step_operator="<this component's name>")`` is not run
    by the orchestrator itself: ``run_step`` writes the step's payload to the
    artifact store and calls :meth:`launch` with a command running core's
    one-step entry point (:mod:`stackyard.pipelines.entrypoint`). The
    environment running it needs the same packages (the pipeline's module
    importable), the artifact store and the metadata store reachable, and
    the same Stackyard config (``STACKYARD_CONFIG_PATH``) to find the artifact
    store's flavor.
    """

    TYPE: ClassVar[StackComponentType] = StackComponentType.STEP_OPERATOR

    @abstractmethod
    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        """Run the command ``entrypoint`` and return when it has ended.

        Its exit status says whether the step failed (1) or not (0), but the
        outcome is read from the result it writes: raise only when the command
        could not be run at all.
        """
