"""The ``mlflow`` experiment tracker: one MLflow run per pipeline run, a nested run per step."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from stackyard import SecretField
from stackyard.exceptions import StackyardError
from stackyard.experiment_trackers import BaseExperimentTracker

if TYPE_CHECKING:
    from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, StepRunInfo
    from stackyard.stack import Stack

SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https")
"""Tracking URI schemes accepted: MLflow's SQL stores (with an optional ``+driver``) and tracking servers."""

TAG_PIPELINE = "stackyard.pipeline"
TAG_RUN = "stackyard.run"
TAG_RUN_ID = "stackyard.run_id"
TAG_STEP = "stackyard.step"
TAG_ATTEMPT = "stackyard.attempt"
TAG_STATUS = "stackyard.status"
PARENT_TAG = "mlflow.parentRunId"
"""The tag MLflow itself uses for nested runs: the UI shows step runs under their pipeline run."""

_TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"


class MLflowTrackerError(StackyardError):
    """The tracker cannot do what was asked (no active run, an unreachable tracking store)."""


def default_tracking_uri() -> str:
    """A SQLite file in the active profile's folder: ``sqlite:///<profile store>/mlflow/mlflow.db``."""
    from stackyard import Repository

    folder = Path(Repository().active_profile.store_path) / "mlflow"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}"


def _check_tracking_uri(value: str | None) -> str | None:
    if value is None:
        return None
    scheme = value.split("://", 1)[0].split("+", 1)[0].lower() if "://" in value else ""
    if scheme not in SCHEMES:
        shown = f"'{scheme}://'" if scheme else "no scheme"
        raise ValueError(
            f"tracking_uri: has {shown}; use sqlite:///path/to/mlflow.db, a database URL "
            "(postgresql://, mysql://, mssql://) or a tracking server (http:// or https://)"
        )
    return value


class MLflowExperimentTracker(BaseExperimentTracker):
    """Tracks pipeline runs in MLflow: a run per pipeline run, with a nested run per executed step.

    Inside a step, ``mlflow.log_metric(...)`` and friends log to the step's run;
    so does ``get_step_context().stack.experiment_tracker.log_metrics(...)``.
    """

    FLAVOR: ClassVar[str] = "mlflow"
    RUNTIME_OPTIONS: ClassVar[Mapping[str, Any]] = {"experiment_name": str}

    tracking_uri: str | None = attrs.field(
        default=None,
        metadata={
            "doc": "sqlite:///file.db, a database URL or an http(s):// tracking server "
            "(default: a SQLite file in the profile's folder)"
        },
    )
    tracking_token: str | None = SecretField(
        default=None, doc="bearer token for a tracking server, as a secret reference such as {{mlflow.token}}"
    )
    experiment_name: str | None = attrs.field(
        default=None, metadata={"doc": "the MLflow experiment (default: the pipeline's name)"}
    )

    _uri: str | None = None
    _experiment: str | None = None
    _experiment_id: str | None = None
    _parent_run_id: str | None = None
    _step_run_id: str | None = None
    _set_aside: list[Any] | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        _check_tracking_uri(self.tracking_uri)

    # -- lifecycle: the orchestrating process -----------------------------

    def prepare_pipeline_deployment(self, pipeline: Any, stack: Stack, runtime_configuration: Mapping[str, Any]) -> None:
        self._uri = self.tracking_uri or default_tracking_uri()
        self._experiment = runtime_configuration.get("experiment_name") or self.experiment_name or pipeline.name

    def prepare_pipeline_run(self, info: PipelineRunInfo) -> None:
        from stackyard.pipelines.step_context import get_run_context

        client = self._client()
        try:
            experiment = client.get_experiment_by_name(self._experiment)
            experiment_id = (
                experiment.experiment_id
                if experiment
                else client.create_experiment(self._experiment, artifact_location=self._artifact_location())
            )
            run = client.create_run(
                experiment_id,
                run_name=info.run_name,
                tags={TAG_PIPELINE: info.pipeline_name, TAG_RUN: info.run_name, TAG_RUN_ID: info.run_id},
            )
        except Exception as exc:
            self._drop_token()
            raise self._unreachable(exc) from exc
        self._experiment_id = experiment_id
        self._parent_run_id = run.info.run_id
        get_run_context().add_run_metadata(mlflow_run_id=self._parent_run_id, mlflow_experiment_id=experiment_id)

    def cleanup_pipeline_run(self, info: PipelineRunInfo, outcome: Outcome) -> None:
        try:
            if self._parent_run_id is not None:
                client = self._client()
                client.set_tag(self._parent_run_id, TAG_STATUS, outcome.status.value)
                client.set_terminated(self._parent_run_id, "FAILED" if outcome.failed else "FINISHED")
        finally:
            self._parent_run_id = None
            self._drop_token()

    # -- lifecycle: the step's process --------------------------------------

    def prepare_step_run(self, info: StepRunInfo) -> None:
        mlflow = self._mlflow()
        self._set_aside = _set_aside_active_runs(mlflow)
        run = mlflow.start_run(
            experiment_id=self._experiment_id,
            run_name=info.step_name,
            tags={
                PARENT_TAG: self._parent_run_id,
                TAG_PIPELINE: info.pipeline_name,
                TAG_RUN: info.run_name,
                TAG_RUN_ID: info.run_id,
                TAG_STEP: info.step_name,
                TAG_ATTEMPT: str(info.attempt),
            },
        )
        self._step_run_id = run.info.run_id

    def cleanup_step_run(self, info: StepRunInfo, outcome: Outcome) -> None:
        from stackyard.pipelines.step_context import get_step_context

        if self._step_run_id is None:
            return
        try:
            mlflow = self._mlflow()
            mlflow.set_tag(TAG_STATUS, outcome.status.value)
            mlflow.end_run("FAILED" if outcome.failed else "FINISHED")
            get_step_context().add_metadata(mlflow_run_id=self._step_run_id)
        finally:
            self._step_run_id = None
            self._drop_token()
            _restore_active_runs(self._set_aside)
            self._set_aside = None

    # -- logging from a step --------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log ``params`` to the current step's MLflow run."""
        self._active().log_params(dict(params))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log ``metrics`` (at training step ``step``) to the current step's MLflow run."""
        self._active().log_metrics(dict(metrics), step=step)

    @property
    def run_id(self) -> str | None:
        """The MLflow run id of the step running now in this process (``None`` outside a step)."""
        return self._step_run_id

    @property
    def resolved_tracking_uri(self) -> str:
        """The tracking URI runs go to: ``tracking_uri``, or the SQLite file in the profile's folder."""
        return self._uri or self.tracking_uri or default_tracking_uri()

    # -- helpers ---------------------------------------------------------------

    def _active(self) -> Any:
        mlflow = self._mlflow()
        if self._step_run_id is None or mlflow.active_run() is None:
            raise MLflowTrackerError(
                f"Experiment tracker '{self.name}' has no MLflow run here: log from a step of a pipeline run "
                "on a stack with this tracker (get_step_context().stack.experiment_tracker)."
            )
        return mlflow

    def _artifact_location(self) -> str | None:
        """For a SQLite file, artifacts of new experiments go next to it (MLflow's default is ./mlruns in the cwd)."""
        uri = self.resolved_tracking_uri
        if not uri.startswith("sqlite:///"):
            return None  # a database or server: its own default
        return (Path(uri[len("sqlite:///"):]).parent / "mlartifacts").resolve().as_uri()

    def _mlflow(self) -> Any:
        import mlflow  # imported when a run tracks, never when flavors are listed

        _forget_connections_in_forked_workers()
        self._set_token()
        mlflow.set_tracking_uri(self.resolved_tracking_uri)
        return mlflow

    def _client(self) -> Any:
        from mlflow.tracking import MlflowClient

        _forget_connections_in_forked_workers()
        self._set_token()
        return MlflowClient(tracking_uri=self.resolved_tracking_uri)

    def _set_token(self) -> None:
        # MLflow reads a tracking server's bearer token from the environment only: it is there
        # from a hook that starts a run to the hook that ends it, never longer.
        if self.tracking_token:
            os.environ[_TOKEN_ENV] = self.tracking_token

    def _drop_token(self) -> None:
        if self.tracking_token and os.environ.get(_TOKEN_ENV) == self.tracking_token:
            del os.environ[_TOKEN_ENV]

    def _unreachable(self, exc: Exception) -> MLflowTrackerError:
        where = re.sub(r"//[^/@]*@", "//***@", self.resolved_tracking_uri)
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        for secret in (self.tracking_token, *re.findall(r"//([^/@]*)@", self.resolved_tracking_uri)):
            if secret:
                reason = reason.replace(secret, "***")
        return MLflowTrackerError(
            f"Experiment tracker '{self.name}' could not start a run in its MLflow tracking store {where}: "
            f"{type(exc).__name__}: {reason}; check tracking_uri and tracking_token "
            f"(stackyard experiment-tracker describe {self.name})."
        )


def _set_aside_active_runs(mlflow: Any) -> list[Any]:
    """Runs the caller had active in this thread (a notebook's ``with mlflow.start_run():``), set aside.

    The step's run must be the active one, nested under the pipeline's run and
    not the caller's; the caller's runs come back, still running, when the
    step ends. MLflow keeps them in a per-thread stack that has no public API
    to set aside, so without it they are ended as a last resort.
    """
    stack = getattr(getattr(mlflow.tracking, "fluent", None), "_active_run_stack", None)
    runs = stack.get() if stack is not None and hasattr(stack, "get") else None
    if isinstance(runs, list):
        aside = list(runs)
        runs.clear()
        return aside
    while mlflow.active_run() is not None:
        mlflow.end_run()
    return []


def _restore_active_runs(aside: list[Any] | None) -> None:
    if aside:
        import mlflow

        mlflow.tracking.fluent._active_run_stack.get().extend(aside)


_fork_hook_registered = False


def _forget_connections_in_forked_workers() -> None:
    """A worker forked from the orchestrating process must not reuse its parent's database connections.

    MLflow keeps one SQLAlchemy engine per tracking URI for the process; a
    forked child gets copies of the parent's pooled connections, which SQLite
    (and every database driver) forbids using across a fork. SQLAlchemy's rule
    for this case: ``engine.dispose(close=False)`` in the child.
    """
    global _fork_hook_registered
    if _fork_hook_registered or not hasattr(os, "register_at_fork"):
        return

    def forget() -> None:
        module = sys.modules.get("mlflow.store.tracking.sqlalchemy_store")  # never imported just for this
        store = getattr(module, "SqlAlchemyStore", None)
        for engine in list(getattr(store, "_engine_map", {}).values()):
            engine.dispose(close=False)

    os.register_at_fork(after_in_child=forget)
    _fork_hook_registered = True
