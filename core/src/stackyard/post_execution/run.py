"""A recorded pipeline run, read back from a metadata store."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import StepNotFoundError
from stackyard.pipelines.status import ExecutionStatus
from stackyard.post_execution.step import StepView, _time

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.metadata_stores import BaseMetadataStore
    from stackyard.repository import Repository
    from stackyard.stack.stack import Stack


class StoreContext:
    """Where views read from: a metadata store, and the artifact store a run wrote to.

    Only the metadata store is needed to list pipelines, runs and steps; the
    stack's artifact store is loaded the first time an artifact is read, so
    runs stay readable when its flavor is not installed.
    """

    def __init__(
        self,
        stack: Stack | None = None,
        recorded_stack: Mapping[str, Any] | None = None,
        *,
        metadata_store: BaseMetadataStore | None = None,
        stack_name: str | None = None,
        artifact_store: Callable[[], BaseArtifactStore] | None = None,
    ) -> None:
        if stack is not None:
            assert stack.metadata_store is not None
            metadata_store, stack_name = stack.metadata_store, stack.name
            artifact_store = _stack_artifact_store(stack)
        assert metadata_store is not None and artifact_store is not None
        self.metadata_store: BaseMetadataStore = metadata_store
        self.stack_name = stack_name or ""
        self._load_artifact_store = artifact_store
        self._recorded = dict((recorded_stack or {}).get("components", {}).get("artifact_store") or {})
        self._rebuilt: BaseArtifactStore | None = None
        self._recorded_stack = dict(recorded_stack or {})  # issue 10, secrets: resolved from the run's stack
        self._resolved: dict[int, BaseArtifactStore] = {}

    @classmethod
    def of_stack_name(cls, repository: Repository, name: str) -> StoreContext:
        """A context for stack ``name`` that loads its metadata store now and its artifact store when needed."""
        from stackyard.enums import StackComponentType
        from stackyard.exceptions import StackValidationError

        components = repository.get_stack_configuration(name)
        metadata_name = components.get(StackComponentType.METADATA_STORE)
        artifact_name = components.get(StackComponentType.ARTIFACT_STORE)
        if metadata_name is None or artifact_name is None:
            missing = "metadata store" if metadata_name is None else "artifact store"
            raise StackValidationError(f"Stack '{name}' has no {missing}, so it has no pipeline runs to read.")
        metadata_store = repository.load_stack_component(StackComponentType.METADATA_STORE, metadata_name)
        secrets_name = components.get(StackComponentType.SECRETS_MANAGER)
        if secrets_name is not None:  # a password of a database server: resolved from the stack's secrets manager
            from stackyard.secrets import references_of, resolve_component

            if references_of(metadata_store):
                manager = repository.load_stack_component(StackComponentType.SECRETS_MANAGER, secrets_name)
                metadata_store = resolve_component(metadata_store, manager)  # type: ignore[arg-type]
        loaded: list[BaseArtifactStore] = []

        def load_artifact_store() -> BaseArtifactStore:
            if not loaded:
                loaded.append(repository.load_stack_component(StackComponentType.ARTIFACT_STORE, artifact_name))  # type: ignore[arg-type]
            return loaded[0]

        return cls(metadata_store=metadata_store, stack_name=name, artifact_store=load_artifact_store)  # type: ignore[arg-type]

    def for_run(self, recorded_stack: Mapping[str, Any]) -> StoreContext:
        """A context for the artifacts of a run that recorded ``recorded_stack``."""
        return StoreContext(
            None,
            recorded_stack,
            metadata_store=self.metadata_store,
            stack_name=self.stack_name,
            artifact_store=self._load_artifact_store,
        )

    def artifact_store_for(self, uri: str) -> BaseArtifactStore:
        """The stack's artifact store if ``uri`` is in it, else the one the run recorded, rebuilt;
        its secret references resolved from the secrets manager the run recorded."""
        from stackyard.secrets import resolve_recorded

        store = self._artifact_store_for(uri)
        if id(store) not in self._resolved:  # issue 10, secrets
            self._resolved[id(store)] = resolve_recorded(store, self._recorded_stack)  # type: ignore[assignment]
        return self._resolved[id(store)]

    def _artifact_store_for(self, uri: str) -> BaseArtifactStore:
        from stackyard.exceptions import StackyardError

        try:
            store = self._load_artifact_store()
        except StackyardError:  # e.g. its flavor is not installed: the store the run recorded may do
            rebuilt = self._rebuild()
            if rebuilt is None:
                raise
            return rebuilt
        if uri.startswith(store.path.rstrip("/") + "/") or not self._recorded:
            return store
        if str(store.uuid) == self._recorded.get("uuid"):
            return store
        return self._rebuild() or store  # its flavor is gone: try the stack's store, which names the problem

    def _rebuild(self) -> BaseArtifactStore | None:
        """The artifact store the run recorded, built from its configuration (``None`` if it cannot be)."""
        if self._rebuilt is None and self._recorded:
            from stackyard.exceptions import StackyardError
            from stackyard.repository import Repository

            try:
                self._rebuilt = Repository().build_component({"type": "artifact_store", **self._recorded})  # type: ignore[assignment]
            except StackyardError:
                return None
        return self._rebuilt


def _stack_artifact_store(stack: Stack) -> Callable[[], BaseArtifactStore]:
    def artifact_store() -> BaseArtifactStore:
        assert stack.artifact_store is not None
        return stack.artifact_store

    return artifact_store


class PipelineRunView:
    """One run of a pipeline: status, timings, runtime configuration and its steps.

    A run recorded as ``running`` whose process is gone reads as ``crashed``,
    with the reason as its :attr:`error` (see :mod:`stackyard.metadata_stores.liveness`);
    its steps still ``running`` read as ``crashed`` too.
    """

    def __init__(self, record: Mapping[str, Any], stack_or_context: Stack | StoreContext) -> None:
        from stackyard.metadata_stores.liveness import crash_reason

        self._record = dict(record)
        reason = crash_reason(self._record)
        if reason is not None:
            self._record.update(status=ExecutionStatus.CRASHED.value, error=reason)
        context = stack_or_context if isinstance(stack_or_context, StoreContext) else StoreContext(stack_or_context)
        self._context = context.for_run(self._record.get("stack") or {})
        self._steps: list[StepView] | None = None

    @property
    def id(self) -> str:
        """The run's id."""
        return str(self._record["id"])

    @property
    def name(self) -> str:
        """The run's name."""
        return str(self._record["name"])

    @property
    def pipeline_name(self) -> str:
        """The name of the pipeline it ran."""
        return str(self._record["pipeline_name"])

    @property
    def status(self) -> ExecutionStatus:
        """``running``, ``completed``, ``cached`` (every step from cache), ``failed`` or ``crashed``."""
        return ExecutionStatus(self._record["status"])

    @property
    def error(self) -> str | None:
        """Why a failed run failed, or why a crashed one is seen as crashed."""
        return self._record.get("error")

    @property
    def parameters(self) -> dict[str, Any]:
        """The pipeline's parameters."""
        return dict(self._record.get("parameters") or {})

    @property
    def runtime_configuration(self) -> dict[str, Any]:
        """The runtime options it was given, with ``run_name``."""
        return dict(self._record.get("runtime_configuration") or {})

    @property
    def stack(self) -> dict[str, Any]:
        """The stack it ran on: its name and each component's type, flavor, name and configuration."""
        return dict(self._record.get("stack") or {})

    @property
    def metadata(self) -> dict[str, Any]:
        """What components and steps attached to the run (``add_run_metadata``), and warnings of its hooks."""
        return self._context.metadata_store.get_metadata(self.id)

    @property
    def start_time(self) -> datetime.datetime | None:
        """When it started."""
        return _time(self._record.get("started"))

    @property
    def end_time(self) -> datetime.datetime | None:
        """When it ended."""
        return _time(self._record.get("ended"))

    @property
    def duration(self) -> float | None:
        """Seconds it took (``None`` while running)."""
        started, ended = self._record.get("started"), self._record.get("ended")
        return None if started is None or ended is None else ended - started

    @property
    def steps(self) -> list[StepView]:
        """Its steps, in the order they started."""
        if self._steps is None:
            records = self._context.metadata_store.get_steps(self.id)
            if self.status is ExecutionStatus.CRASHED:
                records = [{**r, "status": ExecutionStatus.CRASHED.value} if r["status"] == "running" else r for r in records]
            self._steps = [StepView(r, self._context) for r in records]
        return list(self._steps)

    def get_step(self, name: str) -> StepView:
        """One step by name (``StepNotFoundError`` naming the steps it has)."""
        for step in self.steps:
            if step.name == name:
                return step
        names = ", ".join(s.name for s in self.steps) or "none"
        raise StepNotFoundError(f"Run '{self.name}' has no step named '{name}'; its steps are: {names}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for ``--output json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "pipeline": self.pipeline_name,
            "status": self.status.value,
            "started": self._record.get("started"),
            "ended": self._record.get("ended"),
            "duration": self.duration,
            "parameters": self.parameters,
            "runtime_configuration": self.runtime_configuration,
            "stack": self.stack,
            "error": self.error,
            "owner": self._record.get("owner"),
            "heartbeat": self._record.get("heartbeat"),
            "metadata": self.metadata,
            "steps": [s.to_dict() for s in self.steps],
        }

    def __repr__(self) -> str:
        return f"PipelineRunView(name={self.name!r}, status={self.status.value!r})"
