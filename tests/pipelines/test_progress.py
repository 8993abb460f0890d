"""A pipeline run from Python shows a line per step on stderr, as the CLI does, unless silenced."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackyard import Repository

SCRIPT = """
    import sys
    from stackyard import pipeline, step

    @step
    def load() -> int:
        print("printed by load")
        return 1

    @step
    def train(x: int) -> int:
        return x + 1

    @pipeline
    def training():
        train(load())

    options = eval(sys.argv[1]) if len(sys.argv) > 1 else {}
    training().run(**options)
    training().run(**options)
"""


def run_script(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, prelude: str = ""
) -> subprocess.CompletedProcess[str]:
    Repository().active_stack  # the default profile exists already: only the runs print
    script = tmp_path / "runs.py"
    script.write_text(textwrap.dedent(prelude) + textwrap.dedent(SCRIPT))
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=environment(env), check=True
    )


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This test's environment without a progress switch of the developer's, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if k != "STACKYARD_PROGRESS"}, **(extra or {})}


def shown(stderr: str) -> list[str]:
    """The stderr lines, run names and durations normalised."""
    text = re.sub(r"\(run '[^']+'\)", "(run RUN)", stderr)
    text = re.sub(r"finished in [0-9.]+s", "finished in Ns", text)
    return text.splitlines()


EXPECTED = [
    "Running pipeline 'training' on stack 'default' (run RUN).",
    "Step 'load' has started.",
    "Step 'load' has finished in Ns.",
    "Step 'train' has started.",
    "Step 'train' has finished in Ns.",
    "Running pipeline 'training' on stack 'default' (run RUN).",
    "Step 'load' served from cache.",
    "Step 'train' served from cache.",
]


def test_a_run_from_python_shows_each_step_on_stderr(tmp_path: Path) -> None:
    result = run_script(tmp_path)
    assert shown(result.stderr) == EXPECTED
    assert result.stdout == "printed by load\n"  # what a step prints stays where it was printed


@pytest.mark.parametrize(
    ("args", "env"),
    [(["{'progress': False}"], {}), ([], {"STACKYARD_PROGRESS": "0"}), ([], {"STACKYARD_PROGRESS": "off"})],
    ids=["progress=False", "STACKYARD_PROGRESS=0", "STACKYARD_PROGRESS=off"],
)
def test_progress_can_be_silenced(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    result = run_script(tmp_path, *args, env=env)
    assert result.stderr == ""
    assert result.stdout == "printed by load\n"


def test_an_explicit_progress_true_wins_over_the_environment(tmp_path: Path) -> None:
    result = run_script(tmp_path, "{'progress': True}", env={"STACKYARD_PROGRESS": "0"})
    assert shown(result.stderr) == EXPECTED


def test_logging_set_up_by_the_application_shows_each_line_once(tmp_path: Path) -> None:
    prelude = """
        import logging
        logging.basicConfig(level=logging.INFO, format="app: %(message)s")
    """
    result = run_script(tmp_path, prelude=prelude)
    assert shown(result.stderr) == [f"app: {line}" for line in EXPECTED]


def test_a_failing_step_is_shown_with_its_error(tmp_path: Path) -> None:
    Repository().active_stack
    script = tmp_path / "fails.py"
    script.write_text(textwrap.dedent("""
        from stackyard import pipeline, step

        @step
        def train() -> int:
            raise RuntimeError("boom")

        @pipeline
        def training():
            train()

        try:
            training().run()
        except Exception as exc:
            print(type(exc).__name__)
    """))
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=environment(), check=True
    )
    assert shown(result.stderr) == [
        "Running pipeline 'training' on stack 'default' (run RUN).",
        "Step 'train' has started.",
        "Step 'train' failed: RuntimeError: boom",
    ]
    assert result.stdout == "PipelineRunFailedError\n"
