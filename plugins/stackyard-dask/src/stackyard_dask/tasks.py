"""What runs on the Dask workers: one task per step, each calling ``deployment.run_step``.

A worker process unpickles a run's deployment once (its threads share it) and
resolves the stack's secret references there. A step's exception travels back
as :class:`StepFailed`, which holds only plain data (so it always unpickles on
the client: core's ``StepError``) plus the exception pickled with cloudpickle; Dask marks every
downstream task of a failed one as failed without running it. A failing step
also sets the run's ``stop`` event: steps that have not started yet skip
themselves (:class:`StepSkipped`), those already running finish.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment
    from stackyard.pipelines import StepError

_deployments: dict[str, PipelineDeployment] = {}
"""The deployments of the runs this worker process takes part in, by run token."""
_lock = threading.Lock()


class StepFailed(Exception):
    """Step ``error.step_name`` raised: a :class:`~stackyard.pipelines.StepError` Dask can raise.

    Raising (not returning) it is what makes Dask fail the downstream tasks
    without running them. The exception is pickled with cloudpickle, so that
    classes defined in ``__main__`` or a notebook reach the client by value.
    """

    def __init__(self, error: StepError) -> None:
        super().__init__(error)
        self.error = error

    @classmethod
    def of(cls, step_name: str, exc: BaseException) -> StepFailed:
        import cloudpickle

        from stackyard.pipelines import StepError

        return cls(StepError.of(step_name, exc, dumps=cloudpickle.dumps))

    def original(self) -> BaseException:
        """The step's own exception if it unpickles here, else a :class:`~stackyard.exceptions.RemoteStepError`."""
        return self.error.exception()

    def __str__(self) -> str:
        return f"step '{self.error.step_name}' failed: {self.error.type_name}: {self.error.message}"


class CodeNotOnWorkerError(Exception):
    """A worker could not import what the run's steps need."""


class StepSkipped(Exception):
    """The step did not run: another step of its run failed first (or the run's owner is gone)."""


def run_step(token: str, payload: bytes, stop: str, name: str, *upstream: Any) -> str:
    """Run step ``name`` of the run ``token`` on this worker; ``upstream``: the upstream tasks' results (unused)."""
    from stackyard.exceptions import RunOwnerGoneError

    if _stopped(stop):
        raise StepSkipped(f"step '{name}' did not start: another step of the run failed")
    try:
        deployment = _deployment(token, payload)
    except (ImportError, AttributeError) as exc:
        _stop(stop)
        raise StepFailed.of(name, CodeNotOnWorkerError(
            f"The Dask worker cannot load the pipeline's code ({type(exc).__name__}: {exc}); install the "
            "project's package on the workers, or set the orchestrator's ship_code to true."
        )) from None
    try:
        return deployment.run_step(name).value
    except RunOwnerGoneError as exc:
        raise StepSkipped(str(exc)) from None
    except Exception as exc:  # the step recorded its own traceback; send back plain data
        _stop(stop)
        raise StepFailed.of(name, exc) from None


def forget(token: str) -> None:
    """Drop the deployment of a finished run from this worker process."""
    with _lock:
        _deployments.pop(token, None)


def _deployment(token: str, payload: bytes) -> PipelineDeployment:
    with _lock:
        deployment = _deployments.get(token)
        if deployment is None:
            from stackyard_dask.shipping import loads

            deployment = loads(payload)
            deployment.resolve_secrets_here()  # the payload holds references only
            _deployments[token] = deployment
        return deployment


def _stopped(stop: str) -> bool:
    from distributed import Event

    return bool(Event(stop).is_set())


def _stop(stop: str) -> None:
    from distributed import Event

    Event(stop).set()
