"""The alerter base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseAlerter(StackComponent):
    """Sends messages to people (chat, e-mail, ...) and can ask them yes/no questions."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.ALERTER

    @abstractmethod
    def post(self, message: str) -> bool:
        """Send ``message``; return whether it was delivered."""

    @abstractmethod
    def ask(self, question: str) -> bool:
        """Ask ``question`` and return whether the answer was yes."""
