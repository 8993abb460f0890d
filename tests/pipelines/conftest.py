"""Fixtures for pipeline tests: the default stack of a fresh config dir, and a recording component."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from stackyard import Repository
from stackyard.alerters import BaseAlerter
from stackyard.materializers import reset_materializer_registry
from stackyard.stack.stack import Stack


@pytest.fixture(autouse=True)
def fresh_materializers() -> Iterator[None]:
    """Plugins installed by one test must not leave materializers behind for the next."""
    reset_materializer_registry()
    yield
    reset_materializer_registry()


@pytest.fixture
def repo() -> Repository:
    """The repository API on this test's fresh global config (default stack)."""
    return Repository()


@pytest.fixture
def stack(repo: Repository) -> Stack:
    """The default local stack."""
    return repo.active_stack


CALLS: list[tuple[str, Any]] = []
"""What :class:`RecordingAlerter` instances saw, in order (reset by the ``recording_stack`` fixture)."""


class RecordingAlerter(BaseAlerter):
    """A custom component that records every lifecycle call and the runtime configuration it got."""

    FLAVOR: ClassVar[str] = "recording"
    RUNTIME_OPTIONS: ClassVar[frozenset[str]] = frozenset({"another_param"})

    def post(self, message: str) -> bool:
        return True

    def ask(self, question: str) -> bool:
        return True

    def prepare_pipeline_deployment(self, pipeline: Any, stack: Any, runtime_configuration: Any) -> None:
        CALLS.append(("prepare_pipeline_deployment", (pipeline.name, stack.name, dict(runtime_configuration))))

    def prepare_pipeline_run(self, info: Any) -> None:
        CALLS.append(("prepare_pipeline_run", None))

    def prepare_step_run(self, info: Any) -> None:
        CALLS.append(("prepare_step_run", None))

    def cleanup_step_run(self, info: Any, outcome: Any) -> None:
        CALLS.append(("cleanup_step_run", None))

    def cleanup_pipeline_run(self, info: Any, outcome: Any) -> None:
        CALLS.append(("cleanup_pipeline_run", None))


@pytest.fixture
def recording_stack(stack: Stack) -> Stack:
    """The default stack plus a :class:`RecordingAlerter`."""
    CALLS.clear()
    return Stack(
        "recording",
        orchestrator=stack.orchestrator,
        artifact_store=stack.artifact_store,
        metadata_store=stack.metadata_store,
        alerter=RecordingAlerter(name="recorder"),
    )
