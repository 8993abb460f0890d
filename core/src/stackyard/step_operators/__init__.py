"""Step operators: run single steps in a specialised environment."""

from stackyard.step_operators.base_step_operator import BaseStepOperator

__all__ = ["BaseStepOperator"]
