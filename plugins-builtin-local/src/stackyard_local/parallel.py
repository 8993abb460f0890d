"""Running independent steps of a pipeline at the same time, in worker processes.

The parent schedules: a step is submitted as soon as all its upstream steps
finished. Workers run ``deployment.run_step`` and record into the metadata
store themselves. With ``fork`` the workers inherit the deployment; with
``spawn``/``forkserver`` it is pickled once and unpickled once per worker.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment

_inherited: dict[str, PipelineDeployment] = {}
"""Deployments a forked worker finds in its parent's memory, by token."""
_unpickled: dict[str, PipelineDeployment] = {}


def run_in_processes(deployment: PipelineDeployment, max_workers: int, start_method: str = "") -> None:
    """Run every step of ``deployment``, independent ones concurrently in up to ``max_workers`` processes."""
    methods = multiprocessing.get_all_start_methods()
    method = start_method or ("fork" if "fork" in methods else "spawn")
    workers = max_workers or os.cpu_count() or 1
    token = uuid.uuid4().hex
    payload = None if method == "fork" else pickle.dumps(deployment)
    _inherited[token] = deployment
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))
    try:
        _schedule(deployment, executor, token, payload)
    except Exception:
        executor.shutdown(wait=True, cancel_futures=True)  # nothing runs any more: a step failed
        raise
    except BaseException:  # Ctrl-C while steps run: stop the workers too
        processes = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        _inherited.pop(token, None)
    executor.shutdown(wait=True)


def _schedule(deployment: PipelineDeployment, executor: ProcessPoolExecutor, token: str, payload: bytes | None) -> None:
    waiting = list(deployment.steps)
    done: set[str] = set()
    running: dict[Future[Any], str] = {}
    failure: BaseException | None = None
    while True:
        if failure is None:
            for name in [n for n in waiting if deployment.upstream_steps(n) <= done]:
                waiting.remove(name)
                running[executor.submit(_run_step, token, payload, name)] = name
        if not running:
            break
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            name = running.pop(future)
            error = future.exception()
            if error is None:
                done.add(name)
            elif failure is None:
                failure = error
    if failure is not None:
        raise failure


def _run_step(token: str, payload: bytes | None, name: str) -> str:
    deployment = _inherited.get(token) or _unpickled.get(token)
    if deployment is None:
        assert payload is not None, "a forked worker lost its deployment"
        deployment = _unpickled[token] = pickle.loads(payload)
    return deployment.run_step(name).value
