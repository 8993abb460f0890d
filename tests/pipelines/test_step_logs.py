"""Each step's prints and log records are captured, stored with the run, and read back by ``pipeline logs``."""

from __future__ import annotations

import logging
import os
import sys

import pytest
from click.testing import CliRunner

from stackyard import Repository, pipeline, step
from stackyard.stack.stack import Stack
from stackyard_cli.commands.pipeline import pipeline as pipeline_command
from stackyard_local import LocalOrchestrator


@step
def chatty(n: int) -> int:
    print(f"hello from pid {os.getpid()}")
    print("something odd", file=sys.stderr)
    logging.getLogger("my_project").warning("careful: n is %d", n)
    return n


@step
def quiet(n: int) -> int:
    return n + 1


@pipeline
def talking(n: int = 3):
    quiet(chatty(n=n))


def logs(*args: str) -> object:
    return CliRunner().invoke(pipeline_command, ["logs", *args], catch_exceptions=False)


def test_pipeline_logs_shows_what_a_step_printed_and_logged(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    run = talking().run(stack=stack, run_name="talked", enable_cache=False)
    live = capsys.readouterr()
    assert f"hello from pid {os.getpid()}" in live.out  # still shown while it runs
    assert "something odd" in live.err
    result = logs("talked", "chatty")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"hello from pid {os.getpid()}" in lines
    assert "something odd" in lines
    assert any(line.endswith("WARNING my_project: careful: n is 3") for line in lines)
    assert run.get_step("chatty").logs == result.stdout
    assert Repository().get_run("talked").get_step("quiet").logs == ""


def test_pipeline_logs_reads_a_step_that_ran_in_a_worker_process(stack: Stack) -> None:
    workers = Stack("workers", orchestrator=LocalOrchestrator(name="w", max_workers=2),
                    artifact_store=stack.artifact_store, metadata_store=stack.metadata_store)
    talking(n=5).run(stack=workers, run_name="in-worker", enable_cache=False)
    result = logs("in-worker", "chatty")
    [hello] = [line for line in result.stdout.splitlines() if line.startswith("hello from pid ")]
    assert hello != f"hello from pid {os.getpid()}"
    assert "careful: n is 5" in result.stdout


def test_pipeline_logs_without_a_step_shows_every_step_and_says_when_there_are_none(stack: Stack) -> None:
    talking(n=7).run(stack=stack, run_name="first")
    talking(n=7).run(stack=stack, run_name="from-cache")
    result = logs("first")
    assert result.stdout.startswith("== chatty ==\nhello from pid")
    assert "== quiet ==" in result.stdout
    result = logs("from-cache")
    assert "Step 'chatty' has no logs (cached: only steps that ran have logs)." in result.output


def test_pipeline_logs_of_an_unknown_step_names_the_steps() -> None:
    Repository()  # a fresh config
    talking().run(run_name="known")
    result = CliRunner().invoke(pipeline_command, ["logs", "known", "nope"])
    assert result.exit_code == 1
    assert "Run 'known' has no step named 'nope'; its steps are: chatty, quiet." in result.output


def test_output_outside_steps_is_not_captured(stack: Stack) -> None:
    talking().run(stack=stack, run_name="tidy", enable_cache=False)
    assert not isinstance(sys.stdout, type(None)) and type(sys.stdout).__name__ != "_Tee"
    assert type(sys.stderr).__name__ != "_Tee"
