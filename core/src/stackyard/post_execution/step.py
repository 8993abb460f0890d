"""A recorded step of a pipeline run."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import StepOutputNotFoundError
from stackyard.pipelines.status import ExecutionStatus
from stackyard.post_execution.artifact import ArtifactView

if TYPE_CHECKING:
    from stackyard.post_execution.run import StoreContext


def _time(value: float | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value) if value is not None else None


class StepView:
    """One step of a run: status, parameters, timings, input and output artifacts."""

    def __init__(self, record: Mapping[str, Any], context: StoreContext) -> None:
        self._record = dict(record)
        self._context = context
        self._artifacts: list[ArtifactView] | None = None

    @property
    def id(self) -> str:
        """The step's id."""
        return str(self._record["id"])

    @property
    def name(self) -> str:
        """The step's name in the pipeline (``train``, ``train_2``, ...)."""
        return str(self._record["name"])

    @property
    def status(self) -> ExecutionStatus:
        """``running``, ``completed``, ``cached``, ``failed`` or ``crashed`` (its run's process ended during it)."""
        return ExecutionStatus(self._record["status"])

    @property
    def is_cached(self) -> bool:
        """Whether it was served from cache."""
        return self.status is ExecutionStatus.CACHED

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameters it ran with."""
        return dict(self._record.get("parameters") or {})

    @property
    def upstream_steps(self) -> list[str]:
        """Names of the steps it waited for."""
        return list(self._record.get("upstream") or [])

    @property
    def cache_key(self) -> str | None:
        """The key it is cached under."""
        return self._record.get("cache_key")

    @property
    def error(self) -> str | None:
        """The traceback of a failed step."""
        return self._record.get("error")

    @property
    def attempts(self) -> int:
        """How many tries the step took (more than 1 when ``@step(retries=...)`` retried it)."""
        return int(self._record.get("attempts") or 1)

    @property
    def logs_uri(self) -> str | None:
        """Where the step's captured stdout, stderr and logging output is stored (``None``: not recorded)."""
        return self._record.get("logs_uri")

    @property
    def logs(self) -> str | None:
        """What the step printed and logged while it ran (``""``: nothing; ``None`` if it did not run, e.g. cached)."""
        from stackyard.pipelines.step_logs import read_logs

        uri = self.logs_uri
        if uri is None:
            ran = self.status in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED)
            return "" if ran else None
        return read_logs(self._context.artifact_store_for(uri), uri)

    @property
    def metadata(self) -> dict[str, Any]:
        """What components and the step attached to it (``get_step_context().add_metadata``), and hook warnings."""
        return self._context.metadata_store.get_metadata(str(self._record["run_id"]), self.id)

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

    def _all(self) -> list[ArtifactView]:
        if self._artifacts is None:
            records = self._context.metadata_store.get_artifacts(self.id)
            self._artifacts = [ArtifactView(r, self._context) for r in records]
        return self._artifacts

    @property
    def inputs(self) -> dict[str, ArtifactView]:
        """The artifacts it read, by argument name."""
        return {a.name: a for a in self._all() if a._record["direction"] == "input"}

    @property
    def outputs(self) -> dict[str, ArtifactView]:
        """The artifacts it wrote (or reused from cache), by output name."""
        return {a.name: a for a in self._all() if a._record["direction"] == "output"}

    @property
    def output(self) -> ArtifactView:
        """The only output of a single-output step."""
        outputs = self.outputs
        if len(outputs) != 1:
            names = ", ".join(outputs) or "none"
            raise StepOutputNotFoundError(
                f"Step '{self.name}' has {len(outputs)} outputs ({names}); use .outputs['NAME'] instead."
            )
        return next(iter(outputs.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for ``--output json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "parameters": self.parameters,
            "started": self._record.get("started"),
            "ended": self._record.get("ended"),
            "duration": self.duration,
            "cache_key": self.cache_key,
            "error": self.error,
            "attempts": self.attempts,
            "logs_uri": self.logs_uri,
            "metadata": self.metadata,
            "inputs": {n: a.to_dict() for n, a in self.inputs.items()},
            "outputs": {n: a.to_dict() for n, a in self.outputs.items()},
        }

    def __repr__(self) -> str:
        return f"StepView(name={self.name!r}, status={self.status.value!r})"
