"""Stacks: components by type, refusal of wrong types, validation naming every problem."""

from __future__ import annotations

from typing import ClassVar

import pytest

from stackyard.alerters import BaseAlerter
from stackyard.exceptions import StackValidationError
from stackyard.stack import Stack
from stackyard_local import LocalArtifactStore, LocalOrchestrator, SQLiteMetadataStore


class PickyAlerter(BaseAlerter):
    """Wants an artifact store under /remote."""

    FLAVOR: ClassVar[str] = "picky"

    def post(self, message: str) -> bool:
        return True

    def ask(self, question: str) -> bool:
        return True

    def validate_stack(self, stack: Stack) -> list[str]:
        store = stack.artifact_store
        if store is not None and not store.path.startswith("/remote"):
            return [f"needs a remote artifact store, '{store.name}' is local"]
        return []


def local_parts() -> dict:
    return {
        "orchestrator": LocalOrchestrator(name="o"),
        "artifact_store": LocalArtifactStore(name="a", path="/tmp/a"),
        "metadata_store": SQLiteMetadataStore(name="m", uri="/tmp/m.db"),
    }


def test_components_are_attributes() -> None:
    parts = local_parts()
    alerter = PickyAlerter(name="x")
    stack = Stack(name="s", alerter=alerter, **parts)
    assert stack.orchestrator is parts["orchestrator"]
    assert stack.artifact_store is parts["artifact_store"]
    assert stack.metadata_store is parts["metadata_store"]
    assert stack.alerter is alerter
    assert stack.step_operator is None
    assert [c.name for c in stack] == ["o", "a", "m", "x"]


def test_component_of_the_wrong_type_is_refused() -> None:
    parts = local_parts()
    parts["orchestrator"], parts["artifact_store"] = parts["artifact_store"], parts["orchestrator"]
    with pytest.raises(TypeError, match="orchestrator takes an orchestrator, not the artifact store .a."):
        Stack(name="s", **parts)


def test_validate_names_every_missing_component_and_every_rule() -> None:
    stack = Stack(name="s", artifact_store=LocalArtifactStore(name="a", path="/tmp/a"), alerter=PickyAlerter(name="x"))
    with pytest.raises(StackValidationError) as info:
        stack.validate()
    assert info.value.problems == [
        "missing required orchestrator",
        "missing required metadata store",
        "alerter 'x': needs a remote artifact store, 'a' is local",
    ]
    assert "Stack 's' is not valid" in str(info.value)


def test_a_complete_stack_is_valid() -> None:
    Stack(name="s", **local_parts()).validate()
