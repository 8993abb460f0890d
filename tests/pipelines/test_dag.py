"""Defining pipelines: DAG shapes, parameters, outputs, and the errors for wiring mistakes."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from stackyard.testing.assertions import run_fails

from stackyard import Repository, pipeline, step
from stackyard.exceptions import (
    PipelineCycleError,
    PipelineDefinitionError,
    StepOutputNotFoundError,
    StepOutsidePipelineError,
    UnknownParameterError,
)


@step
def make_numbers(count: int = 3) -> list:
    return list(range(count))


@step
def total(numbers: list) -> int:
    return sum(numbers)


@step
def add(a: int, b: int) -> int:
    return a + b


@step
def scale(x: int, factor: int = 2) -> int:
    return x * factor


class Split(NamedTuple):
    evens: list
    odds: list


@step
def split(numbers: list) -> Split:
    return Split([n for n in numbers if n % 2 == 0], [n for n in numbers if n % 2])


@pipeline
def sum_pipeline(count: int = 3):
    total(make_numbers(count=count))


def test_the_issue_example_runs_and_reads_back() -> None:
    run = sum_pipeline(count=5).run()
    assert run.status == "completed"
    assert Repository().get_pipeline("sum_pipeline").runs[-1].get_step("total").output.read() == 10


def test_defaults_and_pipeline_parameters_are_recorded() -> None:
    run = sum_pipeline().run()
    assert run.parameters == {"count": 3}
    assert run.get_step("make_numbers").parameters == {"count": 3}
    assert run.get_step("total").parameters == {}
    assert run.get_step("total").output.read() == 3


def test_a_chain_runs_in_order() -> None:
    @pipeline
    def chain():
        x = scale(scale(scale(add(a=1, b=1))))
        return x

    instance = chain()
    assert instance.steps == ["add", "scale", "scale_2", "scale_3"]
    run = instance.run()
    assert run.get_step("scale_3").output.read() == 16
    assert [s.name for s in run.steps] == ["add", "scale", "scale_2", "scale_3"]


def test_a_diamond_joins_two_branches() -> None:
    @pipeline
    def diamond(start: int = 1):
        root = add(a=start, b=0)
        left = scale(root, factor=10)
        right = scale(root, factor=100)
        add(left, right)

    instance = diamond(start=2)
    order = instance.steps
    assert order[0] == "add" and order[-1] == "add_2"
    assert instance.graph.upstream("add_2") == {"scale", "scale_2"}
    run = instance.run()
    assert run.get_step("add_2").output.read() == 220
    assert set(run.get_step("add_2").inputs) == {"a", "b"}
    assert run.get_step("add_2").upstream_steps == ["scale", "scale_2"]


def test_independent_branches_and_fan_out() -> None:
    @pipeline
    def fan(count: int = 4):
        numbers = make_numbers(count=count)
        total(numbers)
        evens, odds = split(numbers)
        total(evens)
        total(odds)
        make_numbers(count=1)  # an unconnected step

    run = fan().run()
    assert run.get_step("total").output.read() == 6
    assert run.get_step("total_2").output.read() == 2
    assert run.get_step("total_3").output.read() == 4
    assert run.get_step("make_numbers_2").output.read() == [0]


def test_several_named_outputs() -> None:
    @pipeline
    def outputs_pipeline():
        parts = split(make_numbers(count=5))
        total(parts.odds)
        total(parts["evens"])

    run = outputs_pipeline().run()
    step_run = run.get_step("split")
    assert set(step_run.outputs) == {"evens", "odds"}
    assert step_run.outputs["evens"].read() == [0, 2, 4]
    assert run.get_step("total").output.read() == 4
    assert run.get_step("total_2").output.read() == 6
    with pytest.raises(StepOutputNotFoundError, match="has 2 outputs"):
        step_run.output


def test_a_step_without_outputs_and_explicit_ordering() -> None:
    seen = []

    @step
    def record(value: str) -> None:
        seen.append(value)

    @pipeline
    def ordered():
        second = record(value="second")
        first = record(value="first")
        second.after(first)

    instance = ordered()
    assert instance.steps == ["record_2", "record"]
    run = instance.run()
    assert seen == ["first", "second"]
    assert run.get_step("record").outputs == {}


def test_a_step_annotated_to_return_none_that_returns_a_value_fails() -> None:
    @step
    def forgetful() -> None:
        return 42  # type: ignore[return-value]

    @pipeline
    def p():
        forgetful()

    message = "Step 'forgetful' returned a value (int), but its return annotation '-> None' says it has no output"
    with run_fails(PipelineDefinitionError, match=re.escape(message)):
        p().run(run_name="forgot")
    run = Repository().get_run("forgot")
    assert run.status == "failed"
    assert run.get_step("forgetful").status == "failed"
    assert message in (run.error or "")


def test_custom_step_and_pipeline_names() -> None:
    @step(name="loader")
    def load() -> int:
        return 1

    @pipeline(name="named-pipeline")
    def p():
        load()
        load()

    run = p().run()
    assert [s.name for s in run.steps] == ["loader", "loader_2"]
    assert run.pipeline_name == "named-pipeline"


def test_a_step_called_outside_a_pipeline_says_how_to_call_it() -> None:
    with pytest.raises(StepOutsidePipelineError, match=r"make_numbers.entrypoint\(\.\.\.\)"):
        make_numbers(count=3)
    assert make_numbers.entrypoint(count=3) == [0, 1, 2]


def test_unknown_step_parameter() -> None:
    @pipeline
    def wrong():
        make_numbers(cuont=3)

    with pytest.raises(UnknownParameterError, match="no parameter 'cuont'; it accepts: count"):
        wrong()


def test_missing_step_input() -> None:
    @pipeline
    def wrong():
        total()

    with pytest.raises(UnknownParameterError, match="missing 'numbers'"):
        wrong()


def test_unknown_pipeline_parameter() -> None:
    with pytest.raises(UnknownParameterError, match="Pipeline 'sum_pipeline' has no parameter 'size'"):
        sum_pipeline(size=3)


def test_an_output_that_does_not_exist() -> None:
    @pipeline
    def wrong():
        total(split(make_numbers()).primes)

    with pytest.raises(StepOutputNotFoundError, match="no output named 'primes'; its outputs are: evens, odds"):
        wrong()


def test_an_output_of_a_single_output_step_that_does_not_exist() -> None:
    @pipeline
    def by_attribute():
        total(make_numbers().foo)

    @pipeline
    def by_key():
        total(make_numbers()["foo"])

    @pipeline
    def by_index():
        total(make_numbers()[0])

    expected = "Step 'make_numbers' has no output named 'foo'; it has a single output, 'output'"
    with pytest.raises(StepOutputNotFoundError, match=expected):
        by_attribute()
    with pytest.raises(StepOutputNotFoundError, match=expected):
        by_key()
    with pytest.raises(StepOutputNotFoundError, match="has no output 0; it has a single output, 'output'"):
        by_index()

    @pipeline
    def by_its_name():
        numbers = make_numbers()
        assert numbers["output"] is numbers and numbers.output is numbers
        total(numbers.output)

    assert by_its_name().steps == ["make_numbers", "total"]


def test_a_cycle_is_reported_with_its_steps() -> None:
    @pipeline
    def cyclic():
        a = make_numbers(count=1)
        b = make_numbers(count=2)
        a.after(b)
        b.after(a)

    with pytest.raises(PipelineCycleError, match="cycle between steps 'make_numbers', 'make_numbers_2'"):
        cyclic()


def test_passing_all_outputs_of_a_multi_output_step_is_an_error() -> None:
    @pipeline
    def wrong():
        total(split(make_numbers()))

    with pytest.raises(PipelineDefinitionError, match="pass one of them"):
        wrong()


def test_a_pipeline_without_steps_is_an_error() -> None:
    @pipeline
    def empty():
        pass

    with pytest.raises(PipelineDefinitionError, match="calls no step"):
        empty()


def test_a_step_returning_the_wrong_number_of_outputs_fails_the_run() -> None:
    @step
    def bad() -> Split:
        return [1]  # type: ignore[return-value]

    @pipeline
    def p():
        bad()

    with run_fails(PipelineDefinitionError, match="declares the outputs evens, odds"):
        p().run()
