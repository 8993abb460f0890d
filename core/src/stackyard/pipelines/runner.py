"""Running a pipeline instance on a stack: the lifecycle around the orchestrator.

1. validate the stack; warn about runtime options no component declares;
   record as ``crashed`` the earlier runs of the pipeline whose process is gone;
2. record the run (``running``) and its owner (this process) in the metadata
   store, and keep its heartbeat fresh from a daemon thread until it ends;
3. ``prepare_pipeline_deployment(pipeline, stack, runtime_configuration)``,
   then ``prepare_pipeline_run(info)`` on every component (each knows the stack as ``_stack`` until the end);
4. ``orchestrator.run_pipeline(deployment, stack, runtime_configuration)``;
5. ``cleanup_pipeline_run(info, outcome)`` on every component — also after a failure or Ctrl-C;
6. record the run's status (``completed``, ``cached`` if every step was, or
   ``failed`` with the error); a failure reaches the caller as
   :class:`~stackyard.exceptions.PipelineRunFailedError` carrying the run, its
   cause the step's own exception (Ctrl-C stays a ``KeyboardInterrupt``).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import PipelineRunFailedError, RunExistsError, StackyardError
from stackyard.metadata_stores.liveness import Heartbeat, crash_reason
from stackyard.names import validate_name
from stackyard.pipelines.deployment import PipelineDeployment, _call_each, _error_line
from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, call_hook, record_warning, run_user_hook
from stackyard.pipelines.step_context import active
from stackyard.pipelines.runtime import RuntimeConfiguration, convert_options, warn_unknown_options
from stackyard.pipelines.status import ExecutionStatus

if TYPE_CHECKING:
    from stackyard.metadata_stores import BaseMetadataStore
    from stackyard.pipelines.pipeline import PipelineInstance
    from stackyard.post_execution import PipelineRunView
    from stackyard.stack.stack import Stack

logger = logging.getLogger("stackyard")


def run_pipeline(
    instance: PipelineInstance,
    *,
    stack: Stack | None = None,
    run_name: str | None = None,
    enable_cache: bool | None = None,
    options: Mapping[str, Any] | None = None,
    progress: bool | None = None,
) -> PipelineRunView:
    """Run ``instance`` on ``stack`` (default: the active stack); return the finished run.

    ``progress``: show a line per step on stderr (see :mod:`stackyard.pipelines.progress`;
    default: yes, unless ``STACKYARD_PROGRESS=0``).
    """
    from stackyard.pipelines.progress import showing_progress

    with showing_progress(progress):
        return _run_pipeline(instance, stack=stack, run_name=run_name, enable_cache=enable_cache, options=options)


def _run_pipeline(
    instance: PipelineInstance,
    *,
    stack: Stack | None,
    run_name: str | None,
    enable_cache: bool | None,
    options: Mapping[str, Any] | None,
) -> PipelineRunView:
    from stackyard.post_execution import PipelineRunView

    options = dict(options or {})
    if stack is None:
        from stackyard.repository import Repository

        stack = Repository().active_stack
    stack.validate()
    stack = _resolve_secrets(stack)  # {{secret.key}} references resolved before anything starts
    _check_step_operators(instance, stack)
    warn_unknown_options(stack, options, stacklevel=4)  # caller of run(), through run_pipeline
    options = convert_options(stack, options)
    metadata_store = stack.metadata_store
    orchestrator = stack.orchestrator
    assert metadata_store is not None and orchestrator is not None
    if run_name is not None:
        validate_name("run", run_name)
    mark_crashed_runs(metadata_store, instance.name)
    run_id, run_name = _create_run(metadata_store, instance, stack, run_name, options)
    configuration = RuntimeConfiguration(options, run_name=run_name, enable_cache=enable_cache)
    deployment = PipelineDeployment(
        instance, stack, configuration, run_id, enable_cache=enable_cache is not False
    )
    logger.info("Running pipeline '%s' on stack '%s' (run '%s').", instance.name, stack.name, run_name)
    status, error = ExecutionStatus.FAILED, None
    failure: BaseException | None = None
    components = list(stack)
    info = PipelineRunInfo(instance.name, run_name, run_id)
    heartbeat: Heartbeat | None = None
    for component in components:
        component._stack = stack  # each component knows its run's stack until the run ends
    try:
        with active(deployment.run_context):
            try:
                heartbeat = _start_heartbeat(metadata_store, run_id)
                deployment.owner = heartbeat.owner if heartbeat is not None else None
                for component in components:
                    component.prepare_pipeline_deployment(instance, stack, configuration)
                for component in components:
                    call_hook(component, "prepare_pipeline_run", info)
                orchestrator.run_pipeline(deployment, stack, configuration)
                status = _outcome(metadata_store, deployment)
            except BaseException as exc:
                error = _run_error(metadata_store, run_id, exc)
                failure = exc
            finally:
                outcome = Outcome(status, failure)
                try:
                    _call_each(components, "cleanup_pipeline_run", info, outcome, raising=error is None)
                except Exception as exc:
                    status, error = ExecutionStatus.FAILED, f"cleanup_pipeline_run failed: {_error_line(exc)}"
                    failure = exc
                finally:
                    _pipeline_hook(instance, metadata_store, run_id, failure)
                    if heartbeat is not None:
                        heartbeat.stop()
                    metadata_store.finish_run(run_id, status, error=error)
                    logger.debug("Pipeline run '%s' %s.", run_name, status.value)
    finally:
        for component in components:
            component._stack = None
    if failure is not None and not isinstance(failure, Exception):
        raise failure
    run = PipelineRunView(metadata_store.get_run(run_id) or {}, stack)
    if failure is not None:
        failed = [s["name"] for s in metadata_store.get_steps(run_id) if s["status"] == ExecutionStatus.FAILED.value]
        raise PipelineRunFailedError(run, failed[0] if failed else None, error) from failure
    return run


def _pipeline_hook(
    instance: PipelineInstance, store: BaseMetadataStore, run_id: str, failure: BaseException | None
) -> None:
    """The pipeline's ``on_failure(exception)`` or ``on_success()``; one that raises becomes a warning on the run."""
    pipeline = instance.pipeline
    if failure is None:
        hook, args, kind = pipeline.on_success, (), "on_success"
    elif isinstance(failure, Exception):
        hook, args, kind = pipeline.on_failure, (failure,), "on_failure"
    else:  # Ctrl-C: stop at once
        return
    run_user_hook(
        hook, args, what=f"Pipeline '{pipeline.name}': {kind}",
        warn=lambda text: record_warning(store, run_id, None, text),
    )


def _check_step_operators(instance: PipelineInstance, stack: Stack) -> None:
    """Every ``@step(step_operator=...)`` of the pipeline names the stack's step operator, else an error naming the fix."""
    from stackyard.exceptions import StackValidationError

    operator = stack.step_operator
    for name in instance.steps:
        wanted = instance.graph[name].step.step_operator
        if wanted is None or (operator is not None and operator.name == wanted):
            continue
        has = f"its step operator is '{operator.name}'" if operator is not None else "it has no step operator"
        raise StackValidationError(
            stack.name,
            [f"step '{name}' runs on step operator '{wanted}', but {has}; add it with: "
             f"stackyard stack update {stack.name} --step-operator {wanted}"],
        )


def _resolve_secrets(stack: Stack) -> Stack:
    """The stack with ``{{secret.key}}`` references resolved from its secrets manager.

    The run still records the references: a resolved component's ``config`` gives them back.
    """
    from stackyard.secrets import resolve_stack_secrets

    return resolve_stack_secrets(stack)


def mark_crashed_runs(store: BaseMetadataStore, pipeline_name: str | None = None) -> list[str]:
    """Record as ``crashed`` the ``running`` runs (of one pipeline, or all) whose process is gone; their names."""
    marked = []
    for record in store.get_unfinished_runs(pipeline_name):
        reason = crash_reason(record)
        if reason is not None and store.mark_crashed(record["id"], reason):
            logger.warning("Pipeline run '%s' crashed: %s", record["name"], reason)
            marked.append(str(record["name"]))
    return marked


def _start_heartbeat(store: BaseMetadataStore, run_id: str) -> Heartbeat | None:
    """Record this process as the run's owner and keep its heartbeat fresh (``None``: the flavor cannot)."""
    try:
        return Heartbeat(store, run_id).start()
    except NotImplementedError:
        logger.debug("Metadata store flavor '%s' records no heartbeat; its runs never show as crashed.", store.FLAVOR)
        return None


def _create_run(
    store: BaseMetadataStore,
    instance: PipelineInstance,
    stack: Stack,
    run_name: str | None,
    options: Mapping[str, Any],
) -> tuple[str, str]:
    from stackyard.records import ComponentRecord

    stack_record = {"name": stack.name, "components": {c.TYPE.value: ComponentRecord.of(c).to_dict() for c in stack}}
    fixed = run_name is not None
    for attempt in range(100):
        name = run_name if fixed else _default_run_name(instance.name, attempt)
        assert name is not None
        try:
            run_id = store.create_run(
                instance.name,
                name,
                stack=stack_record,
                runtime_configuration={**options, "run_name": name},
                parameters=instance.parameters,
            )
            return run_id, name
        except RunExistsError:
            if fixed:
                raise
    raise StackyardError(f"Could not find a free run name for pipeline '{instance.name}'; pass run_name=.")


def _default_run_name(pipeline_name: str, attempt: int) -> str:
    stamp = datetime.datetime.now().strftime("%Y_%m_%d-%H_%M_%S_%f")
    return f"{pipeline_name}-{stamp}" + (f"-{attempt}" if attempt else "")


def _outcome(store: BaseMetadataStore, deployment: PipelineDeployment) -> ExecutionStatus:
    """``completed``/``cached`` if every step succeeded; raise if the orchestrator skipped one."""
    statuses = {s["name"]: ExecutionStatus(s["status"]) for s in store.get_steps(deployment.run_id)}
    missing = [n for n in deployment.steps if not statuses.get(n, ExecutionStatus.FAILED).is_successful]
    if missing:
        raise StackyardError(
            f"The orchestrator finished run '{deployment.run_name}' without running step"
            f"{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}; "
            "this is a bug in the orchestrator flavor."
        )
    if all(statuses[n] is ExecutionStatus.CACHED for n in deployment.steps):
        return ExecutionStatus.CACHED
    return ExecutionStatus.COMPLETED


def _run_error(store: BaseMetadataStore, run_id: str, exc: BaseException) -> str:
    """The run's one-line error: which step failed and why, or what stopped the run."""
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted (KeyboardInterrupt)."
    failed = [s["name"] for s in store.get_steps(run_id) if s["status"] == ExecutionStatus.FAILED.value]
    if failed:
        return f"Step '{failed[0]}' failed: {_error_line(exc)}"
    return _error_line(exc)
