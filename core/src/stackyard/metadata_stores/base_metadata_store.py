"""The metadata store base abstraction: the record of pipelines, runs, steps and artifacts.

Records are plain dicts, so any back end (SQL, a REST service, ...) can keep
them; :mod:`stackyard.post_execution` builds typed views on top. Times are
seconds since the epoch; statuses are :class:`~stackyard.pipelines.ExecutionStatus`
values. The keys each method returns:

- pipeline: ``id``, ``name``, ``created``
- run: ``id``, ``name``, ``pipeline_name``, ``status``, ``started``, ``ended``,
  ``stack`` (name and components), ``runtime_configuration``, ``parameters``, ``error``,
  ``owner`` (``host``, ``pid``, ``start_time``, ``heartbeat_interval`` of the process
  running it, or ``None``), ``heartbeat`` (when that process last said it is alive)
- step: ``id``, ``run_id``, ``name``, ``status``, ``started``, ``ended``,
  ``parameters``, ``upstream`` (step names), ``cache_key``, ``cached_from``
  (the step whose outputs a cached step reuses), ``error``, ``attempts``
  (tries it took, if the flavor records them)
- artifact (as seen from a step): ``name`` and ``direction`` (``input`` or
  ``output``) of the edge, then ``id``, ``uri``, ``data_type``,
  ``materializer``, ``producer_step_id``, ``size``, ``content_hash``, ``extra``

Several processes may write to one store at once (parallel steps); a flavor
must make each method atomic.

Liveness: the process running a pipeline records itself as the run's owner
and refreshes the run's heartbeat (:meth:`BaseMetadataStore.heartbeat`) every
few seconds; readers decide from both whether a ``running`` run has crashed
(:mod:`stackyard.metadata_stores.liveness`), and the next run of the pipeline
records that (:meth:`BaseMetadataStore.mark_crashed`). A flavor written before
liveness existed keeps working: its runs simply never show as crashed.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseMetadataStore(StackComponent):
    """Tracks what ran: pipelines, their runs, the steps of each run and their artifacts."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.METADATA_STORE

    # -- writing runs ----------------------------------------------------------

    @abstractmethod
    def create_run(
        self,
        pipeline_name: str,
        run_name: str,
        *,
        stack: Mapping[str, Any],
        runtime_configuration: Mapping[str, Any],
        parameters: Mapping[str, Any],
    ) -> str:
        """Record a new run (status ``running``) and return its id (``RunExistsError`` if the name is taken)."""

    @abstractmethod
    def finish_run(self, run_id: str, status: str, *, error: str | None = None) -> None:
        """Set a run's final status, end time and error; steps still ``running`` become ``failed``."""

    # -- liveness -------------------------------------------------------------

    def heartbeat(self, run_id: str, *, owner: Mapping[str, Any] | None = None) -> None:
        """Record that the run's owning process is alive now (and, when given, who that process is).

        ``create_run`` should record the run's start time as its first heartbeat,
        so a run whose process dies before its first heartbeat is still seen.
        The default raises ``NotImplementedError``: the run then has no
        heartbeat and never shows as crashed.
        """
        raise NotImplementedError(f"The {type(self).FLAVOR} metadata store records no heartbeats.")

    def mark_crashed(self, run_id: str, reason: str) -> bool:
        """Record a ``running`` run as ``crashed`` with ``reason``; its ``running`` steps become ``crashed``.

        Returns whether the run was still ``running`` (a finished run is left
        alone). The default reads the run and calls :meth:`finish_run`; a
        flavor should make the check and the update one atomic write.
        """
        from stackyard.pipelines.status import ExecutionStatus

        record = self.get_run(run_id)
        if record is None or record.get("status") != ExecutionStatus.RUNNING.value:
            return False
        self.finish_run(run_id, ExecutionStatus.CRASHED.value, error=reason)
        return True

    def get_unfinished_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        """Runs (of one pipeline, or all) still recorded as ``running``, oldest first.

        The default filters :meth:`get_runs`; a flavor may query them directly.
        """
        return [r for r in self.get_runs(pipeline_name) if r.get("status") == "running"]

    # -- writing steps -----------------------------------------------------------

    @abstractmethod
    def start_step(
        self,
        run_id: str,
        name: str,
        *,
        parameters: str | Mapping[str, Any],
        cache_key: str | None,
        inputs: Mapping[str, str],
        upstream: Sequence[str] = (),
    ) -> str:
        """Record a step as ``running`` with its input artifacts (name -> artifact id); return its id."""

    @abstractmethod
    def finish_step(
        self,
        step_id: str,
        status: str,
        *,
        outputs: Mapping[str, Mapping[str, Any]] | None = None,
        error: str | None = None,
    ) -> dict[str, str]:
        """Set a step's final status; record its new output artifacts (name -> record); return their ids."""

    @abstractmethod
    def record_cached_step(
        self,
        run_id: str,
        name: str,
        *,
        parameters: str | Mapping[str, Any],
        cache_key: str,
        inputs: Mapping[str, str],
        outputs: Mapping[str, str],
        cached_from: str,
        upstream: Sequence[str] = (),
    ) -> str:
        """Record a step served from cache, reusing the artifacts (name -> id) of step ``cached_from``."""

    def record_attempt(self, step_id: str, attempt: int) -> None:
        """Record that a ``running`` step starts its ``attempt``-th try (``@step(retries=...)``).

        The default records nothing: the step then reads as one attempt.
        """

    def record_step_logs(self, step_id: str, uri: str) -> None:
        """Record where the step's captured output is stored (``logs_uri`` of the step).

        The default records nothing: the step then has no logs to show.
        """

    # -- metadata components and steps attach ------------------------------------------

    def add_metadata(self, run_id: str, step_id: str | None, values: Mapping[str, Any]) -> None:
        """Record JSON ``values`` (key -> value; a key given again replaces it) on a step, or on the run if ``step_id`` is ``None``.

        The default records nothing and logs a warning: a flavor written
        before metadata existed keeps working, its runs just show none.
        """
        import logging

        logging.getLogger("stackyard").warning(
            "The %s metadata store cannot record metadata; %s dropped.", type(self).FLAVOR, ", ".join(values)
        )

    def get_metadata(self, run_id: str, step_id: str | None = None) -> dict[str, Any]:
        """The metadata recorded on a step (or on the run, if ``step_id`` is ``None``); the default has none."""
        return {}

    # -- reading ---------------------------------------------------------------------

    @abstractmethod
    def get_pipelines(self) -> list[dict[str, Any]]:
        """Every pipeline that has runs, oldest first."""

    @abstractmethod
    def get_runs(self, pipeline_name: str | None = None) -> list[dict[str, Any]]:
        """Runs (of one pipeline, or all), oldest first."""

    def get_latest_runs(self, pipeline_name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The ``limit`` newest runs (of one pipeline, or all), newest first.

        The default reads every run with :meth:`get_runs`; a flavor should ask its database for just these.
        """
        return list(reversed(self.get_runs(pipeline_name)))[: max(int(limit), 0)]

    @abstractmethod
    def get_run(self, name_or_id: str) -> dict[str, Any] | None:
        """One run by name or id, or ``None``."""

    @abstractmethod
    def get_steps(self, run_id: str) -> list[dict[str, Any]]:
        """The steps of a run, in the order they started."""

    @abstractmethod
    def get_step(self, run_id: str, name: str) -> dict[str, Any] | None:
        """One step of a run by name, or ``None``."""

    @abstractmethod
    def get_artifacts(self, step_id: str) -> list[dict[str, Any]]:
        """The artifacts a step consumed and produced (with the edge's ``name`` and ``direction``)."""

    @abstractmethod
    def find_cached_steps(self, cache_key: str, limit: int = 3) -> list[dict[str, Any]]:
        """Completed steps with this cache key, newest first (the caller checks their outputs)."""

    def find_cached_outputs(
        self, cache_key: str, limit: int = 3
    ) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """``(step id, output artifacts by name)`` of the steps :meth:`find_cached_steps` finds, newest first.

        Yielded lazily: the caller stops at the first whose outputs are intact.
        The default calls :meth:`find_cached_steps`, then :meth:`get_artifacts`
        per candidate; a flavor may answer both with one query.
        """
        for candidate in self.find_cached_steps(cache_key, limit):
            artifacts = self.get_artifacts(candidate["id"])
            yield candidate["id"], {a["name"]: a for a in artifacts if a["direction"] == "output"}

    # -- copying runs in (stackyard.metadata_stores.copy) -----------------------------

    def import_run(self, bundle: Mapping[str, Any]) -> bool:
        """Record a run copied from another store as it was: same ids, times, statuses, artifacts and metadata.

        ``bundle`` is made by :func:`stackyard.metadata_stores.copy.export_run`.
        Returns ``False`` (recording nothing) if a run with that id is already
        here, so copying again copies nothing twice. The default raises
        ``NotImplementedError``: the flavor cannot receive copied runs.
        """
        raise NotImplementedError(f"The {type(self).FLAVOR} metadata store cannot receive copied runs.")
