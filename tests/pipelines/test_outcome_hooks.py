"""``on_failure``/``on_success`` of steps and pipelines, metadata components attach, and an alerter's failure post."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from stackyard import Repository, get_step_context, pipeline, step
from stackyard.alerters import BaseAlerter
from stackyard.exceptions import PipelineRunFailedError
from stackyard.experiment_trackers import BaseExperimentTracker
from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, StepRunInfo
from stackyard.pipelines.status import ExecutionStatus
from stackyard.pipelines.step_context import get_run_context
from stackyard.stack.stack import Stack
from stackyard_cli.commands.pipeline import pipeline as pipeline_command

SEEN: list[Any] = []


def remember_step_failure(exc: BaseException) -> None:
    SEEN.append(("step on_failure", repr(exc), get_step_context().step_name))


def remember_pipeline_failure(exc: BaseException) -> None:
    SEEN.append(("pipeline on_failure", repr(exc)))


def remember_success() -> None:
    SEEN.append(("pipeline on_success",))


def broken_hook(exc: BaseException) -> None:
    raise RuntimeError("the hook itself broke")


@step
def fine() -> int:
    return 1


@step(on_failure=remember_step_failure, on_success=lambda: SEEN.append(("step on_success",)))
def divide(x: int) -> float:
    return x / 0


@step(on_failure=broken_hook)
def fails_with_broken_hook() -> int:
    raise ValueError("the step's own error")


@pytest.fixture(autouse=True)
def clear_seen() -> None:
    SEEN.clear()


def test_on_failure_hooks_of_step_and_pipeline_receive_the_exception(stack: Stack) -> None:
    @pipeline(on_failure=remember_pipeline_failure, on_success=remember_success)
    def p():
        divide(fine())

    with pytest.raises(PipelineRunFailedError) as caught:
        p().run(stack=stack)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert SEEN == [
        ("step on_failure", "ZeroDivisionError('division by zero')", "divide"),
        ("pipeline on_failure", "ZeroDivisionError('division by zero')"),
    ]


def test_on_success_hooks_run_when_the_step_and_run_complete(stack: Stack) -> None:
    @step(on_success=lambda: SEEN.append(("step on_success", get_step_context().step_name)))
    def good() -> int:
        return 2

    @pipeline(on_failure=remember_pipeline_failure, on_success=remember_success)
    def p():
        good()

    assert p().run(stack=stack).status is ExecutionStatus.COMPLETED
    assert SEEN == [("step on_success", "good"), ("pipeline on_success",)]


def test_a_raising_hook_does_not_hide_the_steps_error_and_is_recorded_as_a_warning(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    @pipeline(on_failure=broken_hook)
    def p():
        fails_with_broken_hook()

    with pytest.raises(PipelineRunFailedError, match="the step's own error") as caught:
        p().run(stack=stack, run_name="hook-broke")
    assert isinstance(caught.value.__cause__, ValueError)
    run = Repository().get_run("hook-broke")
    assert run.error == "Step 'fails_with_broken_hook' failed: ValueError: the step's own error"
    [step_warning] = run.get_step("fails_with_broken_hook").metadata["warnings"]
    assert "on_failure hook broken_hook raised RuntimeError: the hook itself broke" in step_warning
    [run_warning] = run.metadata["warnings"]
    assert run_warning.startswith("Pipeline 'p': on_failure hook broken_hook raised RuntimeError")
    assert "on_failure hook broken_hook raised RuntimeError" in caplog.text


def test_a_hook_that_is_not_callable_is_refused_at_definition() -> None:
    from stackyard.exceptions import PipelineDefinitionError

    with pytest.raises(PipelineDefinitionError, match="on_failure must be a function"):
        step(on_failure="alert")(fine.entrypoint)  # type: ignore[arg-type]


class HookTracker(BaseExperimentTracker):
    """An experiment tracker that keeps a 'tracking run' per pipeline run and one entry per step."""

    FLAVOR: ClassVar[str] = "hook-tracker"
    _entries: list | None = None

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._entries.append(("params", dict(params)))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._entries.append(("metrics", dict(metrics)))

    def prepare_pipeline_run(self, info: PipelineRunInfo) -> None:
        self._entries = []
        get_run_context().add_run_metadata(tracking_run=f"track-{info.run_name}")

    def prepare_step_run(self, info: StepRunInfo) -> None:
        self._entries.append(("start", info.step_name))

    def cleanup_step_run(self, info: StepRunInfo, outcome: Outcome) -> None:
        self._entries.append(("end", info.step_name, outcome.status.value))
        get_step_context().add_metadata(tracked_entries=len(self._entries), tracker_url=f"http://t/{info.step_name}")

    def cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome) -> None:
        SEEN.append(("tracker", list(self._entries), outcome.status.value))


@step
def train(n: int) -> int:
    get_step_context().stack.experiment_tracker.log_metrics({"loss": 0.5})
    return n * 2


def test_an_experiment_tracker_records_each_step_and_attaches_metadata_shown_by_run_describe(stack: Stack) -> None:
    @pipeline
    def p():
        train(fine())

    tracked = Stack("tracked", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                    metadata_store=stack.metadata_store, experiment_tracker=HookTracker(name="t"))
    run = p().run(stack=tracked, run_name="tracked-run")
    assert SEEN == [("tracker", [
        ("start", "fine"), ("end", "fine", "completed"),
        ("start", "train"), ("metrics", {"loss": 0.5}), ("end", "train", "completed"),
    ], "completed")]
    again = Repository().get_run("tracked-run")
    assert again.metadata == {"tracking_run": "track-tracked-run"}
    assert again.get_step("train").metadata == {"tracked_entries": 5, "tracker_url": "http://t/train"}
    assert run.to_dict()["steps"][0]["metadata"] == {"tracked_entries": 2, "tracker_url": "http://t/fine"}

    result = CliRunner().invoke(pipeline_command, ["run-describe", "tracked-run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Metadata:   tracking_run='track-tracked-run'" in result.output
    assert "  train: tracked_entries=5, tracker_url='http://t/train'" in result.output
    result = CliRunner().invoke(pipeline_command, ["run-describe", "tracked-run", "--output", "json"])
    data = json.loads(result.stdout)
    assert data["metadata"] == {"tracking_run": "track-tracked-run"}


class WebhookAlerter(BaseAlerter):
    """Posts JSON ``{"text": ...}`` to a URL, as a chat webhook would take it."""

    FLAVOR: ClassVar[str] = "test-webhook"
    url: str

    def post(self, message: str) -> bool:
        request = urllib.request.Request(
            self.url, data=json.dumps({"text": message}).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200

    def ask(self, question: str) -> bool:
        return False


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@step
def explode() -> int:
    raise RuntimeError("disk full")


@pipeline
def exploding():
    explode()


def alerting_stack(stack: Stack, url: str, **config: Any) -> Stack:
    return Stack("alerting", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, alerter=WebhookAlerter(name="hook", url=url, **config))


def test_an_alerter_with_post_on_failure_posts_a_failure_message(stack: Stack, webhook: Any) -> None:
    url, received = webhook
    with pytest.raises(PipelineRunFailedError):
        exploding().run(stack=alerting_stack(stack, url, post_on_failure=True), run_name="alerted")
    assert received == [
        {"text": "Pipeline run 'alerted' of pipeline 'exploding' failed: RuntimeError: disk full"}
    ]
    fine_stack = alerting_stack(stack, url, post_on_failure=True)

    @pipeline
    def good():
        fine()

    good().run(stack=fine_stack)
    assert len(received) == 1  # nothing posted for a run that completed


def test_an_alerter_posts_nothing_by_default(stack: Stack, webhook: Any) -> None:
    url, received = webhook
    with pytest.raises(PipelineRunFailedError):
        exploding().run(stack=alerting_stack(stack, url))
    assert received == []


from stackyard.testing import AlerterConformance, ExperimentTrackerConformance  # noqa: E402


class TestHookTrackerConformance(ExperimentTrackerConformance):
    @pytest.fixture
    def experiment_tracker(self) -> HookTracker:
        return HookTracker(name="tracker")

    # defined in this module, not installed by a package: the two checks of installation do not apply
    test_flavor_is_installed_through_its_entry_point = None  # type: ignore[assignment]
    test_registers_and_loads_back = None  # type: ignore[assignment]


class TestWebhookAlerterConformance(AlerterConformance):
    @pytest.fixture
    def alerter(self, webhook: Any) -> WebhookAlerter:
        return WebhookAlerter(name="hook", url=webhook[0])

    test_flavor_is_installed_through_its_entry_point = None  # type: ignore[assignment]
    test_registers_and_loads_back = None  # type: ignore[assignment]
