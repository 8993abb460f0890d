"""Caching: unchanged steps come from cache; code, parameter, input or materializer changes re-run them."""

from __future__ import annotations

import importlib
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import pipeline, step
from stackyard.materializers import BuiltInMaterializer
from stackyard.pipelines import ExecutionStatus

CALLS: list[str] = []


@step
def source(count: int = 3) -> list:
    CALLS.append("source")
    return list(range(count))


@step
def total(numbers: list) -> int:
    CALLS.append("total")
    return sum(numbers)


@pipeline
def summing(count: int = 3):
    total(source(count=count))


def statuses(run: Any) -> dict[str, str]:
    return {s.name: s.status.value for s in run.steps}


@pytest.fixture(autouse=True)
def clear_calls() -> None:
    CALLS.clear()


def test_an_unchanged_rerun_is_served_from_cache() -> None:
    first = summing().run()
    second = summing().run()
    assert statuses(first) == {"source": "completed", "total": "completed"}
    assert statuses(second) == {"source": "cached", "total": "cached"}
    assert second.status is ExecutionStatus.CACHED
    assert CALLS == ["source", "total"]
    assert second.get_step("total").output.uri == first.get_step("total").output.uri
    assert second.get_step("total").output.read() == 3
    assert second.get_step("total").is_cached


def test_a_parameter_change_reruns_the_step_and_what_depends_on_it() -> None:
    summing(count=3).run()
    run = summing(count=4).run()
    assert statuses(run) == {"source": "completed", "total": "completed"}
    assert run.get_step("total").output.read() == 6


def test_an_input_change_reruns_only_downstream() -> None:
    @step
    def offset(numbers: list, by: int = 0) -> list:
        return [n + by for n in numbers]

    @pipeline
    def shifted(by: int = 0):
        total(offset(source(), by=by))

    shifted(by=0).run()
    run = shifted(by=1).run()
    assert statuses(run) == {"source": "cached", "offset": "completed", "total": "completed"}
    assert run.get_step("total").output.read() == 6


def test_an_identical_input_from_a_rerun_step_still_hits_the_cache() -> None:
    @step(enable_cache=False)
    def fresh() -> list:
        return [1, 2]

    @pipeline
    def p():
        total(fresh())

    p().run()
    run = p().run()
    assert statuses(run) == {"fresh": "completed", "total": "cached"}


def test_a_code_change_reruns_the_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "cached_code.py"
    body = """
        from stackyard import pipeline, step

        @step
        def double(x: int = 2) -> int:
            return x * {factor}

        @pipeline
        def p():
            double()
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    module.write_text(textwrap.dedent(body.format(factor=2)))
    import cached_code

    try:
        assert statuses(cached_code.p().run()) == {"double": "completed"}
        assert statuses(cached_code.p().run()) == {"double": "cached"}
        module.write_text(textwrap.dedent(body.format(factor=3)))
        importlib.reload(cached_code)
        run = cached_code.p().run()
        assert statuses(run) == {"double": "completed"}
        assert run.get_step("double").output.read() == 6
    finally:
        sys.modules.pop("cached_code", None)


def test_a_changed_materializer_reruns_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    class Explicit(BuiltInMaterializer):
        VERSION: ClassVar[int] = 1

    @step(materializers=Explicit)
    def produce() -> int:
        return 1

    @pipeline
    def p():
        produce()

    p().run()
    assert statuses(p().run()) == {"produce": "cached"}
    monkeypatch.setattr(Explicit, "VERSION", 2)
    assert statuses(p().run()) == {"produce": "completed"}

    summing().run()
    monkeypatch.setattr(BuiltInMaterializer, "VERSION", 2)  # a new format of the default materializer
    assert statuses(summing().run()) == {"source": "completed", "total": "completed"}


def test_missing_artifacts_mean_a_cache_miss() -> None:
    first = summing().run()
    shutil.rmtree(first.get_step("total").output.uri)
    run = summing().run()
    assert statuses(run) == {"source": "cached", "total": "completed"}
    assert run.get_step("total").output.read() == 3


def test_cache_switches_per_step_pipeline_and_run() -> None:
    summing().run()
    assert statuses(summing().run(enable_cache=False)) == {"source": "completed", "total": "completed"}

    @step(enable_cache=False)
    def uncached_total(numbers: list) -> int:
        return sum(numbers)

    @pipeline
    def per_step():
        uncached_total(source())

    per_step().run()
    assert statuses(per_step().run()) == {"source": "cached", "uncached_total": "completed"}

    @pipeline(enable_cache=False)
    def per_pipeline():
        total(source())

    per_pipeline().run()
    assert statuses(per_pipeline().run()) == {"source": "completed", "total": "completed"}


def test_the_cache_is_shared_across_pipelines_with_the_same_step_call() -> None:
    summing().run()

    @pipeline
    def other():
        source()

    assert statuses(other().run()) == {"source": "cached"}
    assert CALLS == ["source", "total"]


def test_the_cache_belongs_to_the_artifact_store(stack: Any, tmp_path: Path) -> None:
    from stackyard.stack.stack import Stack
    from stackyard_local import LocalArtifactStore

    def on(path: Path) -> Stack:
        store = LocalArtifactStore(name="other", path=str(path))  # a new uuid every time
        return Stack("other", orchestrator=stack.orchestrator, artifact_store=store, metadata_store=stack.metadata_store)

    summing().run(stack=on(tmp_path / "a"))
    assert statuses(summing().run(stack=on(tmp_path / "a"))) == {"source": "cached", "total": "cached"}
    assert statuses(summing().run(stack=on(tmp_path / "b"))) == {"source": "completed", "total": "completed"}


# -- parameters JSON cannot hold are keyed exactly ---------------------------------


class Config:
    """A parameter type with the default ``repr`` (``<Config object at 0x...>``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate


@step
def weighted(weights: Any) -> float:
    CALLS.append("weighted")
    return float(sum(weights))


@pipeline
def weighing(weights: Any):
    weighted(weights=weights)


def test_a_changed_element_of_a_large_array_parameter_reruns_the_step() -> None:
    np = pytest.importorskip("numpy")
    weights = np.zeros(10000)
    assert weighing(weights=weights).run().get_step("weighted").output.read() == 0.0
    changed = weights.copy()
    changed[5000] = 1.0  # numpy's repr of both arrays is the same abbreviated text
    run = weighing(weights=changed).run()
    assert statuses(run) == {"weighted": "completed"}
    assert run.get_step("weighted").output.read() == 1.0
    assert statuses(weighing(weights=changed.copy()).run()) == {"weighted": "cached"}


def test_an_object_with_the_default_repr_hits_the_cache_when_equal() -> None:
    @step
    def use(config: Any) -> float:
        CALLS.append("use")
        return config.rate

    @pipeline
    def p(config: Any):
        use(config=config)

    p(config=Config(0.5)).run()
    assert statuses(p(config=Config(0.5)).run()) == {"use": "cached"}
    run = p(config=Config(0.25)).run()
    assert statuses(run) == {"use": "completed"}
    assert run.get_step("use").output.read() == 0.25
    assert CALLS == ["use", "use"]


def test_json_lookalikes_get_different_keys() -> None:
    @step
    def kind(value: Any) -> str:
        return type(value).__name__ + ":" + ",".join(type(k).__name__ for k in (value if isinstance(value, dict) else []))

    @pipeline
    def p(value: Any):
        kind(value=value)

    assert p(value=[1, 2]).run().get_step("kind").output.read() == "list:"
    assert p(value=(1, 2)).run().get_step("kind").output.read() == "tuple:"
    assert p(value={"1": 1}).run().get_step("kind").output.read() == "dict:str"
    assert p(value={1: 1}).run().get_step("kind").output.read() == "dict:int"
    marker = {"__stackyard_pickle_sha256__": "0" * 64}
    assert statuses(p(value=marker).run()) == {"kind": "completed"}


def test_a_parameter_that_cannot_be_pickled_runs_uncached_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import threading

    @step
    def locked(lock: Any, count: int = 1) -> int:
        CALLS.append("locked")
        return count

    @pipeline
    def p():
        locked(lock=threading.Lock())

    with caplog.at_level("WARNING", logger="stackyard"):
        first = p().run()
        second = p().run()
    assert statuses(first) == statuses(second) == {"locked": "completed"}
    assert CALLS == ["locked", "locked"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2, warnings  # one per run
    assert "Step 'locked' runs without caching" in warnings[0]
    assert "'lock'" in warnings[0] and "cannot be pickled" in warnings[0]
    assert second.get_step("locked").cache_key is None


def test_unpicklable_parameters_of_an_uncached_step_are_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    import threading

    @step(enable_cache=False)
    def locked(lock: Any) -> int:
        return 1

    @pipeline
    def p():
        locked(lock=threading.Lock())

    with caplog.at_level("WARNING", logger="stackyard"):
        p().run()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_recorded_parameters_stay_readable() -> None:
    np = pytest.importorskip("numpy")

    @step
    def use(weights: Any, config: Any, pair: Any, plain: Any) -> int:
        return 1

    @pipeline
    def p():
        use(weights=np.zeros(10000), config=Config(0.5), pair=(1, "a"), plain={"a": [1, 2.5, None]})

    parameters = p().run().get_step("use").parameters
    assert parameters["weights"].startswith("array([0., 0., 0., ...,")
    assert parameters["config"].startswith("<") and "Config object at" in parameters["config"]
    assert parameters["pair"] == [1, "a"]
    assert parameters["plain"] == {"a": [1, 2.5, None]}
    assert all(len(str(v)) <= 200 for v in parameters.values())
