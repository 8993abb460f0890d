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
