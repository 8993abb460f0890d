"""What ``stackyard pipeline run`` shows when a run fails: the step's traceback, then one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard import Repository

FAILING = """
from stackyard import pipeline, step

@step
def numbers() -> list:
    return [1, 2, 3]

@step
def check(values: list) -> int:
    raise ValueError("values out of range")

@pipeline
def checked():
    check(numbers())
"""


@pytest.fixture
def failing_file(isolated: Path) -> Path:
    path = isolated / "failing.py"
    path.write_text(FAILING)
    return path


def test_a_named_run_that_fails_shows_the_traceback_then_one_line(run, failing_file: Path) -> None:
    result = run("pipeline", "run", f"{failing_file}:checked", "--run-name", "bad")
    assert result.exit_code == 1
    assert 'raise ValueError("values out of range")' in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: Pipeline run 'bad' failed. Step 'check' failed: ValueError: values out of range "
        "(stackyard pipeline run-describe bad)"
    )
    assert Repository().get_run("bad").status == "failed"


def test_an_unnamed_run_that_fails_is_reported_by_its_generated_name(run, failing_file: Path) -> None:
    result = run("pipeline", "run", f"{failing_file}:checked")
    assert result.exit_code == 1
    [run] = Repository().get_runs("checked")
    assert 'raise ValueError("values out of range")' in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: Pipeline run '{run.name}' failed. Step 'check' failed: ValueError: values out of range "
        f"(stackyard pipeline run-describe {run.name})"
    )


def test_a_run_name_already_taken_is_one_line_about_the_name(run, fails, failing_file: Path) -> None:
    run("pipeline", "run", f"{failing_file}:checked", "--run-name", "bad")
    result = fails("pipeline", "run", f"{failing_file}:checked", "--run-name", "bad")
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: A pipeline run named 'bad' already exists; choose another run_name."
