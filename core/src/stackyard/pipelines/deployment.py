"""What an orchestrator is given: one run of a pipeline on a stack, step by step.

The contract for orchestrator flavors: call :meth:`PipelineDeployment.run_step`
once for every name in :attr:`~PipelineDeployment.steps`, each only after all
of its :meth:`~PipelineDeployment.upstream_steps` returned; independent steps
may run at the same time, in threads or in other processes (a deployment
pickles, its steps by reference). ``run_step`` does everything else: caching,
loading inputs, the components' step hooks, writing outputs, recording.
A failing step raises its own exception from ``run_step``; stop starting new
steps then and let the exception out of ``run_pipeline``.

In another process on the same host (a worker), ``run_step`` first checks that
the run's owner (the process that started the run) is alive, before it starts
a step and before it records the step's outcome: if the owner is gone it
raises :class:`~stackyard.exceptions.RunOwnerGoneError` and records nothing,
so a step never shows as completed after its run crashed.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import RemoteStepError, RunOwnerGoneError, StackyardError
from stackyard.metadata_stores.liveness import owner_is_gone
from stackyard.pipelines.artifacts import provenance_key, read_artifact, write_artifact
from stackyard.pipelines.caching import (
    UncacheableParametersError,
    cache_key,
    find_cached_outputs,
    readable_parameters,
)
from stackyard.pipelines.hooks import Outcome, StepRunInfo, call_hook, record_warning, run_user_hook
from stackyard.pipelines.status import ExecutionStatus
from stackyard.pipelines.step_context import RunContext, StepContext, active
from stackyard.pipelines.step_logs import capture, logs_uri, write_logs
from stackyard.pipelines.timeouts import call_with_timeout

if TYPE_CHECKING:
    from stackyard.pipelines.graph import StepInvocation
    from stackyard.pipelines.pipeline import PipelineInstance
    from stackyard.pipelines.runtime import RuntimeConfiguration
    from stackyard.stack.stack import Stack
    from stackyard.stack.stack_component import StackComponent

logger = logging.getLogger("stackyard")


class PipelineDeployment:
    """One run of a pipeline instance on a stack, as orchestrators see it."""

    def __init__(
        self,
        instance: PipelineInstance,
        stack: Stack,
        runtime_configuration: RuntimeConfiguration,
        run_id: str,
        *,
        enable_cache: bool = True,
    ) -> None:
        self.pipeline = instance
        self.stack = stack
        self.runtime_configuration = runtime_configuration
        self.run_id = run_id
        self.enable_cache = enable_cache and instance.enable_cache
        self.owner: dict[str, Any] | None = None
        """The process that runs the pipeline (``host``, ``pid``, ``start_time``), if the metadata store records it."""
        self._outputs: dict[str, dict[str, dict[str, Any]]] = {}
        self._run_context: RunContext | None = None

    @property
    def pipeline_name(self) -> str:
        """The pipeline's name."""
        return self.pipeline.name

    @property
    def run_name(self) -> str:
        """The run's name."""
        return self.runtime_configuration.run_name

    @property
    def steps(self) -> list[str]:
        """Every step's name, in an order that respects dependencies."""
        return self.pipeline.graph.order()

    @property
    def run_context(self) -> RunContext:
        """The run's context in this process (its ``stack``: the instances prepared here)."""
        if self._run_context is None:
            self._run_context = RunContext(self.pipeline_name, self.run_name, self.run_id, self.stack)
        return self._run_context

    def upstream_steps(self, name: str) -> frozenset[str]:
        """The steps that must have finished before step ``name`` may start."""
        return self.pipeline.graph.upstream(name)

    def step_resources(self, name: str) -> dict[str, float]:
        """What step ``name`` asked for with ``@step(resources=...)`` (empty: nothing said)."""
        return dict(self.pipeline.graph[name].step.resources)

    def resolve_secrets_here(self) -> None:
        """In a process this deployment was sent to (its components hold secret references, as stored):
        resolve the stack's secrets here and point every component at that stack, as the run's own process does."""
        from stackyard.secrets import resolve_stack_secrets

        self.stack = resolve_stack_secrets(self.stack)
        for component in self.stack:
            object.__setattr__(component, "_stack", self.stack)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_outputs"] = {}
        state["_run_context"] = None
        return state

    # -- running one step -----------------------------------------------------

    def check_owner(self) -> None:
        """Raise :class:`RunOwnerGoneError` if this runs outside the run's owner and the owner is gone."""
        owner = self.owner
        if owner is not None and owner.get("pid") != os.getpid() and owner_is_gone(owner):
            raise RunOwnerGoneError(
                f"The process that started run '{self.run_name}' (pid {owner.get('pid')}) is gone; "
                "its steps stop without recording anything."
            )

    def run_step(self, name: str) -> ExecutionStatus:
        """Run step ``name`` (or serve it from cache) and record it; raise what the step raised."""
        self.check_owner()
        invocation = self.pipeline.graph[name]
        stack = self.stack
        metadata_store = stack.metadata_store
        artifact_store = stack.artifact_store
        assert metadata_store is not None and artifact_store is not None
        inputs = {arg: self._output_record(producer, output) for arg, (producer, output) in invocation.inputs.items()}
        parameters_json = readable_parameters(invocation.parameters)
        caching = self.enable_cache and invocation.step.enable_cache
        key: str | None
        try:
            key = cache_key(invocation, inputs, artifact_store)
        except UncacheableParametersError as exc:
            key = None
            if caching:
                logger.warning(
                    "Step '%s' runs without caching: parameter%s %s cannot be pickled, and values JSON "
                    "cannot hold are part of the cache key as the hash of their pickle. Pass picklable "
                    "values, or set @step(enable_cache=False) to silence this.",
                    name, "s" if len(exc.reasons) > 1 else "", exc,
                )
        input_ids = {arg: record["id"] for arg, record in inputs.items()}
        upstream = sorted(invocation.upstream)
        if caching and key is not None:
            hit = find_cached_outputs(metadata_store, artifact_store, key)
            if hit is not None:
                source_id, outputs = hit
                metadata_store.record_cached_step(
                    self.run_id, name, parameters=parameters_json, cache_key=key, inputs=input_ids,
                    outputs={n: a["id"] for n, a in outputs.items()}, cached_from=source_id, upstream=upstream,
                )
                self._outputs[name] = outputs
                logger.info("Step '%s' served from cache.", name)
                return ExecutionStatus.CACHED
        step_id = metadata_store.start_step(
            self.run_id, name, parameters=parameters_json, cache_key=key, inputs=input_ids, upstream=upstream
        )
        logger.info("Step '%s' has started.", name)
        started = time.perf_counter()
        attempt = 1
        with capture() as log:
            while True:
                final = attempt > invocation.step.retries
                try:
                    records = self._attempt(invocation, inputs, step_id, attempt, final, log, key if caching else None)
                    break
                except Exception as exc:
                    if final:
                        self._store_logs(step_id, name, log.getvalue())
                        self._record_failure(step_id, name, exc)
                        raise
                    self._retry(invocation, step_id, attempt, exc)
                    attempt += 1
                    print(f"--- attempt {attempt} ---", file=log)
                except BaseException as exc:
                    self._store_logs(step_id, name, log.getvalue())
                    self._record_failure(step_id, name, exc)
                    raise
        self._store_logs(step_id, name, log.getvalue())
        self.check_owner()
        ids = metadata_store.finish_step(step_id, ExecutionStatus.COMPLETED, outputs=records)
        self._outputs[name] = {n: {**r, "id": ids.get(n, r["id"])} for n, r in records.items()}
        logger.info("Step '%s' has finished in %.3fs.", name, time.perf_counter() - started)
        return ExecutionStatus.COMPLETED

    def _attempt(
        self,
        invocation: StepInvocation,
        inputs: Mapping[str, Mapping[str, Any]],
        step_id: str,
        attempt: int,
        final: bool,
        log: Any,
        key: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """One try of the step: here, or through the stack's step operator if the step names one.

        ``key``: the step's cache key if it ran with its cache on (its outputs are then identified by provenance).
        """
        if invocation.step.step_operator is None:
            return self._execute(invocation, inputs, step_id, attempt, final=final, key=key)
        from stackyard.pipelines.entrypoint import operator_folder, read_result, write_payload
        from stackyard.pipelines.step_errors import StepError

        operator, artifact_store = self.stack.step_operator, self.stack.artifact_store
        assert operator is not None and artifact_store is not None  # checked before the run started
        command = write_payload(self, invocation.name, step_id, attempt, final, key)
        operator.launch(self.pipeline_name, self.run_name, invocation.name, command)
        result = read_result(artifact_store, operator_folder(self, invocation.name, step_id, attempt))
        if result.get("logs"):
            log.write(result["logs"])  # shown live where the operator ran it
        if "error" in result:
            raise StepError.from_json(invocation.name, result["error"]).exception()
        return dict(result["records"])

    def execute_operated_step(
        self, name: str, step_id: str, attempt: int, final: bool, key: str | None = None
    ) -> dict[str, Any]:
        """Run one attempt of step ``name`` here, for a step operator (see :mod:`stackyard.pipelines.entrypoint`).

        ``key``: the cache key the orchestrating process recorded for the step, if it ran with its
        cache on (its outputs are identified by it). Returns ``records``: the outputs' records.
        """
        invocation = self.pipeline.graph[name]
        inputs = {arg: self._output_record(producer, output) for arg, (producer, output) in invocation.inputs.items()}
        return {"records": self._execute(invocation, inputs, step_id, attempt, final=final, key=key)}

    def _store_logs(self, step_id: str, name: str, text: str) -> None:
        """Write what the step printed and logged to the artifact store and record where (a failure only warns)."""
        self.check_owner()  # the run crashed: record nothing
        if not text:  # nothing printed or logged: nothing to store (the step reads back as empty logs)
            return
        artifact_store, store = self.stack.artifact_store, self.stack.metadata_store
        assert artifact_store is not None and store is not None
        try:
            uri = logs_uri(artifact_store, self.pipeline_name, name, self.run_id)
            write_logs(artifact_store, uri, text)
            store.record_step_logs(step_id, uri)
        except Exception as exc:  # noqa: BLE001 - losing the log must not fail the step
            logger.warning("The logs of step '%s' could not be stored: %s", name, _error_line(exc))

    def _record_failure(self, step_id: str, name: str, exc: BaseException) -> None:
        store = self.stack.metadata_store
        assert store is not None
        self.check_owner()
        store.finish_step(step_id, ExecutionStatus.FAILED, error=_error_text(exc))
        logger.info("Step '%s' failed: %s", name, _error_line(exc))

    def _retry(self, invocation: StepInvocation, step_id: str, attempt: int, exc: BaseException) -> None:
        """Log and record failed attempt ``attempt``, wait ``retry_delay``, and record the next attempt."""
        store = self.stack.metadata_store
        assert store is not None
        step = invocation.step
        logger.warning(
            "Step '%s' failed (attempt %d of %d): %s; retrying in %gs.",
            invocation.name, attempt, step.retries + 1, _error_line(exc), step.retry_delay,
        )
        self.check_owner()
        failed = list(store.get_metadata(self.run_id, step_id).get("failed_attempts") or [])
        store.add_metadata(self.run_id, step_id, {"failed_attempts": [*failed, f"{attempt}: {_error_line(exc)}"]})
        if step.retry_delay:
            time.sleep(step.retry_delay)
        self.check_owner()
        store.record_attempt(step_id, attempt + 1)

    def _execute(
        self,
        invocation: StepInvocation,
        inputs: Mapping[str, Mapping[str, Any]],
        step_id: str,
        attempt: int = 1,
        *,
        final: bool = True,
        key: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Run the step here and write its outputs (identified by provenance if ``key``, else by content)."""
        stack = self.stack
        artifact_store = stack.artifact_store
        assert artifact_store is not None
        name = invocation.name
        info = StepRunInfo(self.pipeline_name, self.run_name, self.run_id, name, attempt)
        base = f"{artifact_store.path.rstrip('/')}/{self.pipeline_name}/{name}"
        ids = {output: uuid.uuid4().hex for output in invocation.step.output_names}
        uris = {output: f"{base}/{output}/{artifact_id}" for output, artifact_id in ids.items()}
        context = StepContext(self.run_context, name, step_id, invocation.parameters, uris, attempt)
        prepared: list[StackComponent] = []
        with active(context):
            try:
                for component in list(stack):
                    call_hook(component, "prepare_step_run", info)
                    prepared.append(component)
                values = {arg: read_artifact(artifact_store, record) for arg, record in inputs.items()}
                step = invocation.step
                result = call_with_timeout(step.entrypoint, {**invocation.parameters, **values}, step.timeout, name)
                outputs = invocation.step.split_outputs(result)
                explicit = invocation.step.materializers
                records = {
                    output: {
                        "name": output,
                        **write_artifact(
                            artifact_store, f"{base}/{output}", value, explicit.get(output), artifact_id=ids[output],
                            provenance=provenance_key(key, output) if key is not None else None,
                        ),
                    }
                    for output, value in outputs.items()
                }
            except BaseException as exc:
                _call_each(prepared, "cleanup_step_run", info, Outcome(ExecutionStatus.FAILED, exc), raising=False)
                if isinstance(exc, Exception) and final:
                    self._step_hook(invocation.step.on_failure, (exc,), "on_failure", step_id, name)
                raise
            _call_each(prepared, "cleanup_step_run", info, Outcome(ExecutionStatus.COMPLETED), raising=True)
            self._step_hook(invocation.step.on_success, (), "on_success", step_id, name)
        return records

    def _step_hook(self, hook: Any, args: tuple[Any, ...], kind: str, step_id: str, name: str) -> None:
        store = self.stack.metadata_store
        run_user_hook(
            hook, args, what=f"Step '{name}': {kind}",
            warn=lambda text: record_warning(store, self.run_id, step_id, text),
        )

    def _output_record(self, step_name: str, output: str) -> dict[str, Any]:
        outputs = self._outputs.get(step_name)
        if outputs is None:  # made in another process: ask the metadata store
            store = self.stack.metadata_store
            assert store is not None
            step = store.get_step(self.run_id, step_name)
            if step is None:
                raise StackyardError(
                    f"Step '{step_name}' has not run yet; the orchestrator started a step before its "
                    "upstream steps, which is a bug in the orchestrator flavor."
                )
            outputs = {a["name"]: a for a in store.get_artifacts(step["id"]) if a["direction"] == "output"}
            self._outputs[step_name] = outputs
        return outputs[output]


def _call_each(components: list[StackComponent], method: str, *args: Any, raising: bool) -> None:
    """Call hook ``method`` on every component; the first error is raised after all were called (if ``raising``)."""
    first: BaseException | None = None
    for component in components:
        try:
            call_hook(component, method, *args)
        except Exception as exc:  # noqa: BLE001
            logger.warning(
                "%s of %s '%s' failed: %s", method, component.TYPE.display_name, component.name, _error_line(exc)
            )
            first = first or exc
    if first is not None and raising:
        raise first


def _error_line(exc: BaseException) -> str:
    if isinstance(exc, RemoteStepError):  # stands for the step's own exception: show that one
        return str(exc).splitlines()[-1] if str(exc) else exc.type_name
    return "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]


def _error_text(exc: BaseException) -> str:
    """The traceback of a step's error, from the step's own code on (Stackyard's frames left out)."""
    from stackyard.pipelines import timeouts

    ours = {__file__, timeouts.__file__}
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename in ours:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).strip()
