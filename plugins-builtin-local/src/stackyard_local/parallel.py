"""Running independent steps of a pipeline at the same time, in worker processes.

The parent schedules: a step is submitted as soon as all its upstream steps
finished. Workers run ``deployment.run_step`` and record into the metadata
store themselves. With ``fork`` the workers inherit the deployment; with
``spawn``/``forkserver`` it is pickled once and unpickled once per worker.

A step's exception does not travel back as itself: the worker returns a
:class:`~stackyard.pipelines.StepError`, because an exception that
pickles but does not unpickle (one whose ``__init__`` takes other arguments
than its ``args``) would break the process pool and kill the sibling steps.
The parent re-raises the original exception when it round-trips through
pickle, else a :class:`~stackyard.exceptions.RemoteStepError` with its type
name and message.

Workers die with the parent (:func:`_guard_parent`): on Linux the kernel
kills a worker the moment its parent dies (``PR_SET_PDEATHSIG``); everywhere
a watcher thread ends it when its parent changes. A worker whose step is
about to start or record finds the run's owner gone (``run_step`` checks) and
exits without recording anything.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from stackyard.exceptions import RunOwnerGoneError
from stackyard.pipelines import StepError

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
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_guard_parent,
        initargs=(os.getpid(), method),
    )
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking beside other threads; the one running (the run's
            # heartbeat) never holds a lock across a fork (stackyard.metadata_stores.liveness).
            warnings.filterwarnings("ignore", r".*multi-threaded.*fork", DeprecationWarning)
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
            if error is None and isinstance(future.result(), StepError):
                error = future.result().exception()
            if error is None:
                done.add(name)
            elif failure is None:
                failure = error
    if failure is not None:
        raise failure


_PR_SET_PDEATHSIG = 1
PARENT_POLL_INTERVAL = 0.1
"""Seconds between two checks of a worker's parent by its watcher thread."""


def _guard_parent(owner_pid: int, method: str) -> None:
    """Worker initializer: end this worker when the process that runs the pipeline dies."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watcher thread below still ends the worker
    if method != "forkserver" and parent != owner_pid:
        os._exit(1)  # the owner died before this worker got here
    threading.Thread(target=_watch_parent, args=(parent, owner_pid), name="stackyard-parent-watch", daemon=True).start()


def _watch_parent(parent: int, owner_pid: int) -> None:
    """Exit the worker as soon as its parent changes (the parent died: it was re-parented)."""
    from stackyard.metadata_stores import pid_exists

    while True:
        if os.getppid() != parent or (owner_pid != parent and not pid_exists(owner_pid)):
            os._exit(1)
        time.sleep(PARENT_POLL_INTERVAL)


def _run_step(token: str, payload: bytes | None, name: str) -> str | StepError:
    deployment = _inherited.get(token) or _unpickled.get(token)
    if deployment is None:
        assert payload is not None, "a forked worker lost its deployment"
        deployment = _unpickled[token] = pickle.loads(payload)
    try:
        return deployment.run_step(name).value
    except RunOwnerGoneError:
        os._exit(1)  # the run crashed: nothing of this step may be recorded or sent
    except Exception as exc:  # the step already recorded its own traceback; send back only plain data
        return StepError.of(name, exc)
