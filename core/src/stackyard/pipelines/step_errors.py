"""A step's exception, carried back from the process or machine that ran the step as plain data.

Worker processes, Dask workers and step operators' jobs do not send a failed
step's exception as itself: one that pickles but does not unpickle (an
``__init__`` taking other arguments than its ``args``) would break the channel
and lose the other steps' results. They send a :class:`StepError` (step name,
type name, message, traceback text, and the exception pickled if it pickles);
the orchestrating process raises the original again when it round-trips, else
a :class:`~stackyard.exceptions.RemoteStepError`, with the traceback from the
worker shown as its cause, as :mod:`concurrent.futures` does.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from stackyard.exceptions import RemoteStepError


class StepError(NamedTuple):
    """What a worker sends back instead of a step's exception: only plain data, so it always unpickles."""

    step_name: str
    type_name: str
    message: str
    traceback_text: str
    pickled: bytes | None
    """The exception pickled where it was raised, if it pickles (it may still fail to unpickle)."""

    @classmethod
    def of(cls, step_name: str, exc: BaseException, dumps: Callable[[Any], bytes] = pickle.dumps) -> StepError:
        """Describe ``exc``, pickled with ``dumps`` (Dask passes ``cloudpickle.dumps``, for classes defined in ``__main__``)."""
        kind = type(exc)
        type_name = (
            kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
        )
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ must not hide the failure
            message = f"<{kind.__qualname__} whose str() failed>"
        try:
            pickled: bytes | None = dumps(exc)
        except Exception:  # noqa: BLE001 - e.g. a lock or a generator among its attributes
            pickled = None
        text = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
        return cls(step_name, type_name, message, text, pickled)

    def exception(self) -> BaseException:
        """The original exception if it unpickles here, else a :class:`RemoteStepError`; the worker's traceback is its cause."""
        if self.pickled is not None:
            try:
                exc = pickle.loads(self.pickled)  # noqa: S301 - sent by this run's own step
            except Exception:  # noqa: BLE001 - e.g. an __init__ that needs other arguments
                pass
            else:
                if isinstance(exc, BaseException):
                    exc.__cause__ = WorkerTraceback(self.traceback_text)
                    return exc
        return RemoteStepError(self.step_name, self.type_name, self.message, self.traceback_text)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (the pickled exception in base64), as a step operator's job writes it."""
        import base64

        pickled = base64.b64encode(self.pickled).decode() if self.pickled is not None else None
        return {"type_name": self.type_name, "message": self.message, "traceback": self.traceback_text, "pickled": pickled}

    @classmethod
    def from_json(cls, step_name: str, data: Mapping[str, Any]) -> StepError:
        """The inverse of :meth:`to_json`; a damaged ``pickled`` is dropped (the error still has its type and message)."""
        import base64
        import binascii

        try:
            pickled = base64.b64decode(data["pickled"], validate=True) if data.get("pickled") else None
        except (binascii.Error, TypeError, ValueError):
            pickled = None
        return cls(
            step_name, str(data.get("type_name", "")), str(data.get("message", "")), str(data.get("traceback", "")), pickled
        )


class WorkerTraceback(Exception):
    """Shows, as the cause of a step's exception, the traceback it had where the step ran."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text.rstrip()}\n"""'
