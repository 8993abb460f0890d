"""A step's exception carried back from where the step ran (worker processes, Dask, step operators)."""

from __future__ import annotations

import json
import pickle
import traceback

from stackyard.exceptions import RemoteStepError
from stackyard.pipelines.step_errors import StepError, WorkerTraceback


class NeedsTwo(Exception):
    """Pickles, but does not unpickle: its ``__init__`` wants other arguments than its ``args``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")


class BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - a traceback is what is wanted
        return caught


def test_an_exception_that_round_trips_comes_back_as_itself_with_the_workers_traceback() -> None:
    error = StepError.of("train", raised(ValueError("bad learning rate")))
    assert (error.type_name, error.message) == ("ValueError", "bad learning rate")
    again = pickle.loads(pickle.dumps(error)).exception()
    assert type(again) is ValueError and str(again) == "bad learning rate"
    assert isinstance(again.__cause__, WorkerTraceback)
    assert 'raise exc' in str(again.__cause__) and "ValueError: bad learning rate" in str(again.__cause__)
    shown = "".join(traceback.format_exception(again))
    assert "The above exception was the direct cause" in shown


def test_one_that_does_not_unpickle_becomes_a_remote_step_error_with_what_is_known() -> None:
    error = StepError.of("train", raised(NeedsTwo(42, "the answer")))
    assert error.pickled is not None  # it pickles ...
    again = error.exception()  # ... but not back
    assert isinstance(again, RemoteStepError)
    assert (again.step_name, again.type_name) == ("train", f"{__name__}.NeedsTwo")
    assert str(again) == f"{__name__}.NeedsTwo: 42: the answer"
    assert "raise exc" in again.traceback_text


def test_a_broken_str_still_gives_an_error() -> None:
    error = StepError.of("train", raised(BadStr()))
    assert error.message == "<BadStr whose str() failed>"


def test_the_json_form_round_trips_and_a_damaged_one_keeps_type_and_message() -> None:
    error = StepError.of("train", raised(KeyError("column")))
    data = json.loads(json.dumps(error.to_json()))
    assert StepError.from_json("train", data) == error
    assert type(StepError.from_json("train", data).exception()) is KeyError
    data["pickled"] = "not base64!"
    damaged = StepError.from_json("train", data).exception()
    assert isinstance(damaged, RemoteStepError) and str(damaged) == "KeyError: 'column'"
    assert isinstance(StepError.from_json("train", {"type_name": "X", "message": "m"}).exception(), RemoteStepError)
