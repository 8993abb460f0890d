"""Stopping a step that runs longer than its ``@step(timeout=...)``.

Where the step runs on the main thread of its process on a platform with
``SIGALRM`` (Linux, macOS: the local orchestrator, sequential or in worker
processes), a real-time alarm raises :class:`~stackyard.exceptions.StepTimeoutError`
inside the step at the deadline: the step stops there, as with Ctrl-C
(a call blocked in C code stops when it returns to Python). Elsewhere (a
step run in a thread, Windows, or an alarm already set by someone else) the
step runs in a helper thread that is waited for until the deadline; the
step then fails with the same error, but its thread cannot be stopped and
runs on in the background until it returns (its result is dropped).
"""

from __future__ import annotations

import contextvars
import signal
import threading
from collections.abc import Callable
from typing import Any

from stackyard.exceptions import StepTimeoutError


def call_with_timeout(
    function: Callable[..., Any], kwargs: dict[str, Any], timeout: float | None, step_name: str
) -> Any:
    """``function(**kwargs)``, failing with :class:`StepTimeoutError` after ``timeout`` seconds (``None``: no limit)."""
    if timeout is None:
        return function(**kwargs)
    if _can_alarm():
        return _with_alarm(function, kwargs, timeout, step_name)
    return _in_thread(function, kwargs, timeout, step_name)


def _error(step_name: str, timeout: float) -> StepTimeoutError:
    return StepTimeoutError(
        f"Step '{step_name}' ran longer than its timeout of {timeout:g}s and was stopped; "
        "raise @step(timeout=...) if it needs more time."
    )


def _can_alarm() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )


def _with_alarm(function: Callable[..., Any], kwargs: dict[str, Any], timeout: float, step_name: str) -> Any:
    def expire(signum: int, frame: Any) -> None:
        raise _error(step_name, timeout)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return function(**kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_thread(function: Callable[..., Any], kwargs: dict[str, Any], timeout: float, step_name: str) -> Any:
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(function, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=f"stackyard-step-{step_name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _error(step_name, timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
