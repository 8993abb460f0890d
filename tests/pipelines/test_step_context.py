"""A step reaches its run through ``get_step_context()``: names, parameters, output URIs and the prepared stack."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

import pytest

from stackyard import get_run_context, get_step_context, pipeline, step
from stackyard.exceptions import PipelineRunFailedError, StackyardError
from stackyard.experiment_trackers import BaseExperimentTracker
from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, StepRunInfo
from stackyard.pipelines.status import ExecutionStatus
from stackyard.pipelines.step_context import OutsideStepError
from stackyard.stack.stack import Stack
from stackyard_local import LocalOrchestrator


class PreparedTracker(BaseExperimentTracker):
    """A tracker whose runtime state is set by its hooks, as a real tracker's client would be."""

    FLAVOR: ClassVar[str] = "prepared"

    _token: str | None = None
    _prepared_for: str | None = None

    def log_params(self, params: Mapping[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        pass

    def prepare_pipeline_deployment(self, pipeline: Any, stack: Any, runtime_configuration: Any) -> None:
        self._token = uuid.uuid4().hex

    def prepare_step_run(self, info: StepRunInfo) -> None:
        self._prepared_for = info.step_name


class Seen(NamedTuple):
    names: list
    token: str
    prepared_for: str
    instance_id: int
    knows_stack: bool
    pid: int


@step
def look(factor: int = 2) -> Seen:
    context = get_step_context()
    tracker = context.stack.experiment_tracker
    return Seen(
        names=[context.pipeline_name, context.run_name, context.run_id, context.step_name, context.parameters,
               sorted(context.output_artifact_uris)],
        token=tracker._token,
        prepared_for=tracker._prepared_for,
        instance_id=id(tracker),
        knows_stack=tracker._stack is context.stack,
        pid=os.getpid(),
    )


@pipeline
def looking():
    look(factor=3)


def tracked_stack(stack: Stack, workers: int = 1) -> Stack:
    return Stack(
        "tracked",
        orchestrator=LocalOrchestrator(name="local", max_workers=workers),
        artifact_store=stack.artifact_store,
        metadata_store=stack.metadata_store,
        experiment_tracker=PreparedTracker(name="tracker"),
    )


def test_a_step_sees_its_run_and_the_instance_its_orchestrator_prepared(stack: Stack) -> None:
    tracked = tracked_stack(stack)
    run = looking().run(stack=tracked, run_name="seen")
    step_view = run.get_step("look")
    seen = step_view.outputs["names"].read()
    assert seen == ["looking", "seen", run.id, "look", {"factor": 3}, sorted(Seen._fields)]
    tracker = tracked.experiment_tracker
    assert step_view.outputs["token"].read() == tracker._token is not None
    assert step_view.outputs["prepared_for"].read() == "look"
    assert step_view.outputs["instance_id"].read() == id(tracker)
    assert step_view.outputs["knows_stack"].read() is True
    assert tracker._stack is None  # known for the run's duration only


def test_output_artifact_uris_are_where_the_outputs_are_written(stack: Stack) -> None:
    @step
    def where() -> dict:
        return dict(get_step_context().output_artifact_uris)

    @pipeline
    def p():
        where()

    run = p().run(stack=stack)
    output = run.get_step("where").output
    assert output.read() == {"output": output.uri}


def test_workers_see_the_prepared_instances_rebuilt_there(stack: Stack) -> None:
    tracked = tracked_stack(stack, workers=2)
    run = looking().run(stack=tracked, run_name="seen-in-worker")
    step_view = run.get_step("look")
    assert step_view.outputs["pid"].read() != os.getpid()
    assert step_view.outputs["names"].read()[:4] == ["looking", "seen-in-worker", run.id, "look"]
    assert step_view.outputs["token"].read() == tracked.experiment_tracker._token is not None
    assert step_view.outputs["prepared_for"].read() == "look"
    assert step_view.outputs["knows_stack"].read() is True


def test_outside_a_step_the_context_is_a_clear_error() -> None:
    with pytest.raises(OutsideStepError, match=r"get_step_context\(\) was called outside a running step"):
        get_step_context()
    with pytest.raises(OutsideStepError, match="outside a pipeline run"):
        get_run_context()


HOOK_CALLS: list[tuple[str, Any]] = []


class InformedTracker(PreparedTracker):
    FLAVOR: ClassVar[str] = "informed"

    def prepare_pipeline_run(self, info: PipelineRunInfo) -> None:
        HOOK_CALLS.append(("prepare_pipeline_run", info))

    def prepare_step_run(self, info: StepRunInfo) -> None:
        HOOK_CALLS.append(("prepare_step_run", info))

    def cleanup_step_run(self, info: StepRunInfo, outcome: Outcome) -> None:
        HOOK_CALLS.append(("cleanup_step_run", (info.step_name, outcome.status, repr(outcome.exception))))

    def cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome) -> None:
        HOOK_CALLS.append(("cleanup_pipeline_run", (info, outcome.status, repr(outcome.exception))))


@step
def fine() -> int:
    return 1


@step
def broken(x: int) -> int:
    raise ValueError("bad data")


def test_hooks_receive_the_step_the_run_and_the_outcome(stack: Stack) -> None:
    HOOK_CALLS.clear()

    @pipeline
    def p():
        broken(fine())

    informed = Stack("informed", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                     metadata_store=stack.metadata_store, experiment_tracker=InformedTracker(name="t"))
    with pytest.raises(PipelineRunFailedError):
        p().run(stack=informed, run_name="informed-run")
    run_id = stack.metadata_store.get_run("informed-run")["id"]
    run_info = PipelineRunInfo("p", "informed-run", run_id)
    assert HOOK_CALLS == [
        ("prepare_pipeline_run", run_info),
        ("prepare_step_run", StepRunInfo("p", "informed-run", run_id, "fine")),
        ("cleanup_step_run", ("fine", ExecutionStatus.COMPLETED, "None")),
        ("prepare_step_run", StepRunInfo("p", "informed-run", run_id, "broken")),
        ("cleanup_step_run", ("broken", ExecutionStatus.FAILED, "ValueError('bad data')")),
        ("cleanup_pipeline_run", (run_info, ExecutionStatus.FAILED, "ValueError('bad data')")),
    ]


class OldStyleTracker(PreparedTracker):
    FLAVOR: ClassVar[str] = "old-style"

    def prepare_step_run(self) -> None:  # type: ignore[override]
        HOOK_CALLS.append(("old prepare_step_run", None))

    def cleanup_pipeline_run(self) -> None:  # type: ignore[override]
        HOOK_CALLS.append(("old cleanup_pipeline_run", None))


class HalfStyleTracker(PreparedTracker):
    FLAVOR: ClassVar[str] = "half-style"

    def cleanup_step_run(self, info: StepRunInfo) -> None:  # type: ignore[override]
        pass


def test_hooks_without_parameters_still_run_with_a_deprecation_warning(stack: Stack) -> None:
    HOOK_CALLS.clear()

    @pipeline
    def p():
        fine()

    old = Stack("old", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                metadata_store=stack.metadata_store, experiment_tracker=OldStyleTracker(name="t"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p().run(stack=old)
    assert HOOK_CALLS == [("old prepare_step_run", None), ("old cleanup_pipeline_run", None)]
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any("OldStyleTracker.prepare_step_run() takes no arguments" in m
               and "prepare_step_run(self, info: StepRunInfo)" in m for m in messages)
    assert any("cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome)" in m for m in messages)


def test_a_hook_with_a_partial_signature_is_refused_naming_the_new_one(stack: Stack) -> None:
    @pipeline
    def p():
        fine()

    half = Stack("half", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, experiment_tracker=HalfStyleTracker(name="t"))
    with pytest.raises(PipelineRunFailedError) as caught:
        p().run(stack=half)
    assert isinstance(caught.value.__cause__, StackyardError)
    assert "define it as cleanup_step_run(self, info: StepRunInfo, outcome: Outcome)" in str(caught.value.__cause__)


def test_spawned_workers_see_the_prepared_instances_rebuilt_by_pickling(
    stack: Stack, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textwrap

    (tmp_path / "spawn_context.py").write_text(textwrap.dedent(
        """
        import os
        from typing import Any, ClassVar
        from stackyard import get_step_context, pipeline, step
        from stackyard.experiment_trackers import BaseExperimentTracker

        class PicklingTracker(BaseExperimentTracker):
            FLAVOR: ClassVar[str] = "pickling"
            _token: Any = None
            _prepared_for: Any = None

            def log_params(self, params): pass
            def log_metrics(self, metrics, step=None): pass

            def prepare_pipeline_deployment(self, pipeline, stack, runtime_configuration):
                self._token = f"prepared-in-{os.getpid()}"

            def prepare_step_run(self, info):
                self._prepared_for = [info.step_name, os.getpid()]

        @step
        def report(n: int) -> list:
            tracker = get_step_context().stack.experiment_tracker
            return [tracker._token, tracker._prepared_for, os.getpid(), tracker._stack is get_step_context().stack]

        @pipeline
        def spawned_context():
            report(n=1)
            report(n=2)
        """
    ))
    monkeypatch.syspath_prepend(str(tmp_path))
    import spawn_context

    spawned = Stack(
        "spawned",
        orchestrator=LocalOrchestrator(name="spawning", max_workers=2, start_method="spawn"),
        artifact_store=stack.artifact_store,
        metadata_store=stack.metadata_store,
        experiment_tracker=spawn_context.PicklingTracker(name="pickled"),
    )
    run = spawn_context.spawned_context().run(stack=spawned)
    for name in ("report", "report_2"):
        token, prepared_for, pid, knows_stack = run.get_step(name).output.read()
        assert token == f"prepared-in-{os.getpid()}"  # set in this process, reached the worker by pickling
        assert prepared_for == [name, pid] and pid != os.getpid()
        assert knows_stack is True
