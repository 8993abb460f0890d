"""Stack components and stacks."""

from stackyard.stack.stack import Stack
from stackyard.stack.stack_component import StackComponent

__all__ = ["Stack", "StackComponent"]
