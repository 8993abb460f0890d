"""Provenance keys: outputs of cached steps are identified by what made them, never served stale.

A step that ran with its cache on identifies its outputs by its cache key and
the output's name (nothing is hashed while writing); a step that ran without
its cache identifies them by content. Either way a changed input, parameter,
upstream code or external file is never served from cache.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from stackyard import pipeline, step
from stackyard.exceptions import PipelineRunFailedError
from stackyard.pipelines.artifacts import identity
from stackyard.stack.stack import Stack

CALLS: list[str] = []


@pytest.fixture(autouse=True)
def clear_calls() -> None:
    CALLS.clear()


def statuses(run: Any) -> dict[str, str]:
    return {s.name: s.status.value for s in run.steps}


@step
def numbers(count: int = 3) -> list:
    CALLS.append("numbers")
    return list(range(count))


@step
def add_up(values: list) -> int:
    CALLS.append("add_up")
    return sum(values)


@pipeline
def adding(count: int = 3):
    add_up(numbers(count=count))


def test_outputs_of_a_cached_step_carry_their_provenance_and_large_ones_are_not_hashed(stack: Stack) -> None:
    @step
    def blob(size: int = 200_000) -> bytes:
        return b"x" * size

    @step(enable_cache=False)
    def fresh_blob(size: int = 200_000) -> bytes:
        return b"x" * size

    @pipeline
    def p():
        blob()
        fresh_blob()

    run = p().run()
    cached_way, content_way = run.get_step("blob"), run.get_step("fresh_blob")
    assert cached_way.output.content_hash is None  # nothing hashed on the write path
    assert content_way.output.content_hash is not None  # identified by its bytes
    recorded = stack.metadata_store.get_artifacts(cached_way.id)[0]  # type: ignore[union-attr]
    assert identity(recorded) == f"provenance:{cached_way.cache_key}:output"


def test_a_changed_parameter_upstream_is_never_served_from_cache() -> None:
    assert adding(count=3).run().get_step("add_up").output.read() == 3
    run = adding(count=4).run()
    assert statuses(run) == {"numbers": "completed", "add_up": "completed"}
    assert run.get_step("add_up").output.read() == 6
    back = adding(count=3).run()  # the first call's entries are still valid
    assert statuses(back) == {"numbers": "cached", "add_up": "cached"}
    assert back.get_step("add_up").output.read() == 3


def _load(tmp_path: Path, factor_expression: str) -> Any:
    module = tmp_path / "provenance_code.py"
    module.write_text(textwrap.dedent(f"""
        from stackyard import pipeline, step

        @step
        def scaled() -> list:
            return [x * {factor_expression} for x in range(3)]

        @step
        def summed(values: list) -> int:
            return sum(values)

        @pipeline
        def p():
            summed(scaled())
    """))
    if "provenance_code" in sys.modules:
        return importlib.reload(sys.modules["provenance_code"])
    return importlib.import_module("provenance_code")


def test_an_upstream_step_whose_code_changed_reruns_everything_downstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        code = _load(tmp_path, "2")
        assert code.p().run().get_step("summed").output.read() == 6
        assert statuses(code.p().run()) == {"scaled": "cached", "summed": "cached"}
        code = _load(tmp_path, "3")
        run = code.p().run()
        assert statuses(run) == {"scaled": "completed", "summed": "completed"}
        assert run.get_step("summed").output.read() == 9
        # the documented cost of provenance: new code with the same output still re-runs what follows
        code = _load(tmp_path, "(1 + 2)")
        assert statuses(code.p().run()) == {"scaled": "completed", "summed": "completed"}
    finally:
        sys.modules.pop("provenance_code", None)


def test_a_changed_external_file_read_by_an_uncached_step_reruns_what_follows(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"

    @step(enable_cache=False)
    def read_file(path: str) -> str:
        return Path(path).read_text()

    @step
    def shout(text: str) -> str:
        CALLS.append("shout")
        return text.upper()

    @pipeline
    def p(path: str):
        shout(read_file(path=path))

    data.write_text("first")
    assert p(path=str(data)).run().get_step("shout").output.read() == "FIRST"
    unchanged = p(path=str(data)).run()
    assert statuses(unchanged) == {"read_file": "completed", "shout": "cached"}  # same bytes: still a hit
    data.write_text("second")
    changed = p(path=str(data)).run()
    assert statuses(changed) == {"read_file": "completed", "shout": "completed"}
    assert changed.get_step("shout").output.read() == "SECOND"


def test_a_step_rerun_without_cache_never_pairs_with_downstream_results_of_its_old_output(tmp_path: Path) -> None:
    """Run 2 re-runs ``load`` without cache (new data) and fails downstream; run 3 must not reuse run 1's result."""
    data = tmp_path / "data.txt"
    fail = tmp_path / "fail"

    @step
    def load(path: str) -> str:
        return Path(path).read_text()

    @step
    def use(text: str, flag: str) -> str:
        if Path(flag).exists():
            raise RuntimeError("downstream failed")
        return f"used {text}"

    @pipeline
    def p(path: str, flag: str):
        use(load(path=path), flag=flag)

    data.write_text("old")
    assert p(path=str(data), flag=str(fail)).run().get_step("use").output.read() == "used old"
    data.write_text("new")
    fail.touch()
    with pytest.raises(PipelineRunFailedError):
        p(path=str(data), flag=str(fail)).run(enable_cache=False)  # load re-ran and read "new"
    fail.unlink()
    run = p(path=str(data), flag=str(fail)).run()
    assert statuses(run) == {"load": "cached", "use": "completed"}
    assert run.get_step("load").output.read() == "new"
    assert run.get_step("use").output.read() == "used new"


def test_records_written_before_provenance_keep_their_content_hash_as_identity() -> None:
    old = {"id": "a" * 32, "content_hash": "b" * 64, "extra": {"materializer_version": 1}}
    assert identity(old) == "b" * 64
    assert identity({**old, "content_hash": None}) == "a" * 32
    new = {**old, "extra": {"provenance": "provenance:k:output"}}
    assert identity(new) == "provenance:k:output"
