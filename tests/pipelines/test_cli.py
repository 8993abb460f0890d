"""``stackyard pipeline``: run from a file, list pipelines and runs, describe a run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stackyard import Repository
from stackyard_cli.commands.pipeline import pipeline

PIPELINE_FILE = """
from stackyard import pipeline, step

@step
def make_numbers(count: int = 3) -> list:
    return list(range(count))

@step
def total(numbers: list) -> int:
    if len(numbers) > 10:
        raise ValueError("too many numbers")
    return sum(numbers)

@pipeline
def sum_pipeline(count: int = 3):
    total(make_numbers(count=count))

not_a_pipeline = 3
"""


@pytest.fixture
def pipeline_file(isolated: Path) -> Path:
    path = isolated / "pipelines" / "sums.py"
    path.parent.mkdir()
    path.write_text(PIPELINE_FILE)
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> object:
    return cli.invoke(pipeline, list(args), catch_exceptions=False)


def test_run_a_pipeline_from_a_file_with_parameters(cli: CliRunner, pipeline_file: Path) -> None:
    result = invoke(cli, "run", "pipelines/sums.py:sum_pipeline", "--param", "count=5", "--run-name", "five")
    assert result.exit_code == 0, result.output
    assert "Pipeline run 'five' completed" in result.output
    assert "2 steps, 0 from cache" in result.output
    run = Repository().get_run("five")
    assert run.parameters == {"count": 5}
    assert run.get_step("total").output.read() == 10


def test_run_with_a_config_file(cli: CliRunner, pipeline_file: Path, isolated: Path) -> None:
    config = isolated / "run.toml"
    config.write_text(
        textwrap.dedent(
            """
            run_name = "configured"
            [parameters]
            count = 4
            [runtime_configuration]
            max_workers = 1
            """
        )
    )
    result = invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "--config", str(config))
    assert result.exit_code == 0, result.output
    run = Repository().get_run("configured")
    assert run.get_step("total").output.read() == 6
    assert run.runtime_configuration == {"max_workers": 1, "run_name": "configured"}
    again = invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "-c", str(config), "-p", "count=4", "--run-name", "again")
    assert "2 from cache" in again.output
    fresh = invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "-c", str(config), "--no-cache", "--run-name", "fresh")
    assert "0 from cache" in fresh.output


def test_a_failing_step_exits_non_zero_with_its_traceback(cli: CliRunner, pipeline_file: Path) -> None:
    result = cli.invoke(pipeline, ["run", f"{pipeline_file}:sum_pipeline", "-p", "count=50", "--run-name", "bad"])
    assert result.exit_code == 1
    assert 'raise ValueError("too many numbers")' in result.output
    assert "Error: Pipeline run 'bad' failed. Step 'total' failed: ValueError: too many numbers" in result.output
    assert Repository().get_run("bad").status == "failed"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pipelines/sums.py", "use path/to/file.py:pipeline_name"),
        ("missing.py:p", "No file missing.py"),
        ("pipelines/sums.py:nope", "has no attribute 'nope'; pipelines in it: sum_pipeline"),
        ("pipelines/sums.py:not_a_pipeline", "it is not a @pipeline"),
    ],
)
def test_bad_pipeline_specs(cli: CliRunner, pipeline_file: Path, spec: str, message: str) -> None:
    result = cli.invoke(pipeline, ["run", spec])
    assert result.exit_code == 1
    assert message in result.output


def test_unknown_parameter_is_a_clean_error(cli: CliRunner, pipeline_file: Path) -> None:
    result = cli.invoke(pipeline, ["run", f"{pipeline_file}:sum_pipeline", "-p", "size=3"])
    assert result.exit_code == 1
    assert "Error: Pipeline 'sum_pipeline' has no parameter 'size'" in result.output


def test_list_runs_and_describe(cli: CliRunner, pipeline_file: Path) -> None:
    invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "--run-name", "first")
    invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "--run-name", "second")
    listed = invoke(cli, "list")
    assert "sum_pipeline" in listed.output and "second" in listed.output and "cached" in listed.output
    runs = invoke(cli, "runs", "sum_pipeline")
    lines = [line for line in runs.output.splitlines() if "sum_pipeline" in line]
    assert "second" in lines[0] and "first" in lines[1]  # newest first
    newest = invoke(cli, "runs", "--limit", "1")
    shown = [line.split("│")[0] for line in newest.output.splitlines() if "sum_pipeline" in line]
    assert len(shown) == 1 and "second" in shown[0]
    described = invoke(cli, "run-describe", "second")
    assert "Status:     cached" in described.output
    uri = Repository().get_run("second").get_step("total").output.uri
    rows = [line for line in described.output.splitlines() if line.startswith("┃ total")]
    assert "cached" in rows[0] and "yes" in rows[0]
    as_json = json.loads(invoke(cli, "run-describe", "second", "--output", "json").stdout)
    assert as_json["steps"][1]["outputs"]["output"]["uri"] == uri


def test_describe_and_runs_of_unknown_names(cli: CliRunner) -> None:
    result = cli.invoke(pipeline, ["run-describe", "nope"])
    assert result.exit_code == 1 and "No pipeline run named 'nope'" in result.output
    result = cli.invoke(pipeline, ["runs", "nope"])
    assert result.exit_code == 1 and "No pipeline named 'nope'" in result.output
    assert "No pipeline has run" in cli.invoke(pipeline, ["list"]).output


def test_run_and_pipeline_names_complete(cli: CliRunner, pipeline_file: Path) -> None:
    invoke(cli, "run", f"{pipeline_file}:sum_pipeline", "--run-name", "complete-me")
    describe = pipeline.commands["run-describe"]
    runs_command = pipeline.commands["runs"]
    context = click.Context(describe)
    assert describe.params[0].shell_complete(context, "comp")[0].value == "complete-me"
    assert [c.value for c in runs_command.params[0].shell_complete(click.Context(runs_command), "sum")] == ["sum_pipeline"]


PICKLING_FILE = """
from stackyard import pipeline, step

class Model:
    pass

@step
def train() -> Model:
    return Model()

@step
def score(model: Model) -> float:
    return 0.5

@pipeline
def fit():
    score(train())
"""


def test_run_describe_shows_artifact_warnings(cli: CliRunner, isolated: Path) -> None:
    (isolated / "fit.py").write_text(PICKLING_FILE)
    assert invoke(cli, "run", "fit.py:fit", "--run-name", "fitted").exit_code == 0
    described = invoke(cli, "run-describe", "fitted")
    lines = described.output.splitlines()
    assert "Artifact warnings:" in lines
    shown = lines[lines.index("Artifact warnings:") + 1:]
    assert len(shown) == 1
    assert shown[0].startswith("  train.output: No materializer handles fit.Model; it was stored with pickle")
    as_json = json.loads(invoke(cli, "run-describe", "fitted", "--output", "json").stdout)
    steps = {s["name"]: s for s in as_json["steps"]}
    assert "stored with pickle" in steps["train"]["outputs"]["output"]["warnings"][0]
    assert steps["score"]["outputs"]["output"]["warnings"] == []
    assert "stored with pickle" in steps["score"]["inputs"]["model"]["warnings"][0]


def test_warnings_while_running_are_one_plain_line_each(cli: CliRunner, isolated: Path) -> None:
    (isolated / "warns.py").write_text(
        textwrap.dedent(
            '''
            import warnings
            from stackyard import pipeline, step

            @step
            def noisy() -> int:
                warnings.warn("this step is\\nnoisy", UserWarning)
                return 1

            @pipeline
            def p():
                noisy()
            '''
        )
    )
    result = invoke(cli, "run", "warns.py:p", "--option", "speling=1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    unknown = [line for line in lines if "speling" in line]
    assert unknown == [
        "UnknownRuntimeOptionWarning: Runtime option 'speling' is not declared by any component of stack "
        "'default'; it is passed to every component anyway. Check its spelling."
    ]
    assert "UserWarning: this step is noisy" in lines
    assert not [line for line in lines if ".py:" in line or "warnings.warn(" in line or "instance.run(" in line]


def test_a_param_that_does_not_convert_to_its_annotation_is_an_error(cli: CliRunner, pipeline_file: Path) -> None:
    result = cli.invoke(pipeline, ["run", "pipelines/sums.py:sum_pipeline", "--param", "count=abc"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: --param count expects int, got 'abc'"
    assert Repository().get_runs() == []


def test_params_convert_to_postponed_annotations_too(cli: CliRunner, isolated: Path) -> None:
    (isolated / "postponed.py").write_text("from __future__ import annotations\n" + PIPELINE_FILE)
    ok = invoke(cli, "run", "postponed.py:sum_pipeline", "--param", "count=4", "--run-name", "four")
    assert ok.exit_code == 0, ok.output
    assert Repository().get_run("four").parameters == {"count": 4}
    bad = cli.invoke(pipeline, ["run", "postponed.py:sum_pipeline", "--param", "count=4.5"])
    assert bad.exit_code == 1
    assert bad.output.splitlines()[-1] == "Error: --param count expects int, got '4.5'"
