"""``stackyard pipeline``: run pipelines from files, and inspect the runs of the active stack."""

from __future__ import annotations

import contextlib
import datetime
import inspect
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stackyard_cli import output
from stackyard_cli.completion import _safe, complete_stacks
from stackyard_cli.errors import UserError
from stackyard_cli.group import Group
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render

if TYPE_CHECKING:
    from stackyard.post_execution import PipelineRunView, StepView
    from stackyard.repository import Repository
    from stackyard.stack import Stack


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Stackyard errors as one ``Error:`` line and exit code 1, also when this group runs on its own."""
    from stackyard.exceptions import StackyardError

    try:
        yield
    except StackyardError as exc:
        raise UserError(str(exc), exc) from exc


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Show each Python warning raised meanwhile as one plain line (``Category: message``).

    Without this, Python prints ``file:line: Category: message`` and the
    source line that raised it: the CLI's own code, useless to the user.
    """

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        output.warning(f"{category.__name__}: {' '.join(str(message).split())}")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _complete_pipelines(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from stackyard.repository import Repository

    return _safe(lambda: [p.name for p in Repository().get_pipelines()], incomplete)


def _complete_runs(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from stackyard.repository import Repository

    return _safe(lambda: [r.name for r in reversed(Repository().get_runs())], incomplete)


@click.group(cls=Group)
def pipeline() -> None:
    """Run pipelines and inspect their runs.

    Runs are read from the metadata store of the active stack.
    """


@pipeline.command(short_help="Run a pipeline from FILE.py:PIPELINE on the active stack.")
@click.argument("spec", metavar="FILE.py:PIPELINE")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="A pipeline parameter (repeatable).")
@click.option("--config", "-c", "config_file", type=click.Path(dir_okay=False), help="A run configuration TOML file.")
@click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE",
    help="A runtime option handed to every stack component (repeatable).",
)
@click.option("--run-name", help="Name of the run (default: PIPELINE-timestamp).")
@click.option("--no-cache", is_flag=True, help="Run every step, even unchanged ones.")
@click.option("--stack", "stack_name", metavar="NAME", shell_complete=complete_stacks, help="Run on this stack instead of the active one.")
@click.option(
    "--output", "output_format", type=click.Choice(output.OUTPUT_FORMATS), default="table", show_default=True,
    help="Print a summary line, or the run (name, status, steps) as data for scripts, also when it fails.",
)
@_warnings_as_lines()
def run(
    spec: str,
    params: tuple[str, ...],
    config_file: str | None,
    options: tuple[str, ...],
    run_name: str | None,
    no_cache: bool,
    stack_name: str | None,
    output_format: str,
) -> None:
    """Run the pipeline PIPELINE defined in FILE.py on the active stack.

    \b
    A run configuration file may hold:
      run_name = "nightly"
      enable_cache = false
      [parameters]               # the pipeline's parameters
      count = 5
      [runtime_configuration]    # options handed to every stack component
      max_workers = 2
    --param, --option, --run-name and --no-cache override the file.
    """
    from stackyard.exceptions import PipelineRunFailedError
    from stackyard.pipelines.loading import (
        load_pipeline,
        parameter_types,
        parse_assignments,
        parse_value,
        read_run_config,
    )
    from stackyard.pipelines.pipeline import PipelineInstance

    with _user_errors():
        repo = open_repository()
        config: dict[str, Any] = {}
        if config_file:
            if not Path(config_file).is_file():
                raise UserError(f"No run configuration file {config_file}.")
            config = read_run_config(config_file)
        loaded = load_pipeline(spec)
        definition = loaded.pipeline if isinstance(loaded, PipelineInstance) else loaded
        types = parameter_types(definition)
        parameters = dict(loaded.parameters) if isinstance(loaded, PipelineInstance) else {}
        parameters.update(config.get("parameters", {}))
        for key, text in parse_assignments(params, "param").items():
            parameters[key] = parse_value(text, types.get(key, inspect.Parameter.empty), name=key)
        runtime = dict(config.get("runtime_configuration", {}))
        runtime.update(parse_assignments(options, "option"))  # the core types them for the stack's components
        instance = definition(**parameters)
        stack = repo.get_stack(stack_name) if stack_name else repo.active_stack
        enable_cache = False if no_cache else config.get("enable_cache")
        name = run_name or config.get("run_name")
    try:
        result = instance.run(stack=stack, run_name=name, enable_cache=enable_cache, **runtime)
    except PipelineRunFailedError as exc:
        if output_format != "table":
            output.print_data(exc.run.to_dict(), output_format)
        raise _failed_run(exc.run, exc) from exc
    except (Exception, KeyboardInterrupt) as exc:
        raise _run_failure(repo, stack, name, exc) from exc
    if output_format != "table":
        output.print_data(result.to_dict(), output_format)
        return
    steps = result.steps
    cached = sum(1 for s in steps if s.is_cached)
    output.success(
        f"Pipeline run '{result.name}' {result.status.value} in {_seconds(result.duration)}: "
        f"{len(steps)} step{'s' if len(steps) != 1 else ''}, {cached} from cache."
    )
    output.info(f"Details: stackyard pipeline run-describe {result.name}")


def _failed_run(found: PipelineRunView, exc: BaseException) -> UserError:
    """One line for a recorded run that failed, after the failed step's traceback."""
    failed = [s for s in found.steps if s.status.value == "failed" and s.error]
    if failed and failed[0].error:
        output.info(failed[0].error)
    return UserError(
        f"Pipeline run '{found.name}' failed. {found.error} (stackyard pipeline run-describe {found.name})",
        exc,
    )


def _run_failure(repo: Repository, stack: Stack, run_name: str | None, exc: BaseException) -> UserError:
    """One line for what stopped a run.

    Until every core raises :class:`PipelineRunFailedError` for a recorded run,
    a run named on the command line that was recorded as failed is still
    reported as one.
    """
    from stackyard.exceptions import RunExistsError, RunNotFoundError, StackyardError

    if run_name is not None and not isinstance(exc, RunExistsError):
        try:
            found = repo.get_run(run_name, stack=stack)
        except RunNotFoundError:
            found = None
        if found is not None and found.status.value == "failed":
            return _failed_run(found, exc)
    message = str(exc) if isinstance(exc, StackyardError) else f"{type(exc).__name__}: {exc}"
    return UserError(message, exc)


@pipeline.command("list", short_help="List pipelines with runs, and their latest run.")
@output.output_option
def list_pipelines(output_format: str) -> None:
    """List the pipelines that have runs, with their latest run."""
    with _user_errors():
        repo = open_repository()
        found = [(p.name, p.runs) for p in repo.get_pipelines()]
        data = [
            {
                "name": name,
                "runs": len(runs),
                "latest_run": runs[-1].name if runs else None,
                "latest_status": runs[-1].status.value if runs else None,
            }
            for name, runs in found
        ]
        started = [_when(runs[-1].start_time) if runs else "" for _, runs in found]
        columns = [
            Column("PIPELINE", "name"),
            Column("RUNS", "runs"),
            Column("LATEST RUN", "latest_run", shrink=True),
            Column("STATUS", "latest_status"),
            Column("STARTED", "started"),
        ]
        view = View(
            columns,
            rows=lambda records: [{**r, "started": when} for r, when in zip(records, started)],
            empty="No pipeline has run on this stack yet; run one with stackyard pipeline run FILE.py:PIPELINE.",
        )
        render(data, output_format, view)


@pipeline.command(short_help="List the newest runs of a pipeline (or of all), newest first.")
@click.argument("name", required=False, shell_complete=_complete_pipelines)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True,
              help="How many of the newest runs to show.")
@output.output_option
def runs(name: str | None, limit: int, output_format: str) -> None:
    """List the newest runs of pipeline NAME (or of every pipeline), newest first."""
    with _user_errors():
        repo = open_repository()
        found = repo.get_latest_runs(name, limit=limit)
        if name and not found:
            repo.get_pipeline(name)  # names the pipelines that have runs
        columns = [
            Column("RUN NAME", "name", shrink=True),
            Column("PIPELINE", "pipeline"),
            Column("STATUS", "status"),
            Column("STARTED", lambda r: _when(r["start_time"])),
            Column("DURATION", lambda r: _seconds(r["duration"])),
            Column("STACK", "stack"),
        ]
        view = View(
            columns,
            rows=lambda records: [{**r, "start_time": f.start_time} for r, f in zip(records, found)],
            empty="No runs yet; start one with stackyard pipeline run FILE.py:PIPELINE.",
        )
        render([_run_summary(r) for r in found], output_format, view)


@pipeline.command("run-describe", short_help="Show a run's steps, statuses, durations and artifacts.")
@click.argument("run_name", metavar="RUN", shell_complete=_complete_runs)
@output.output_option
def run_describe(run_name: str, output_format: str) -> None:
    """Show a run's steps: statuses, durations, cache hits, artifact URIs and artifact warnings."""
    with _user_errors():
        repo = open_repository()
        found = repo.get_run(run_name)
        view = View(
            [Column("STEP", "name"), Column("STATUS", "status"), Column("DURATION", "duration"),
             Column("CACHED", "cached"), Column("OUTPUTS", "outputs", shrink=True)],
            rows=lambda _: [_step_row(s) for s in found.steps],
            heading=_run_heading(found),
            footer=_artifact_warnings(found.steps) + _retried(found.steps) + _step_metadata(found.steps),
        )
        render(found.to_dict(), output_format, view)


@pipeline.command(short_help="Show what a run's steps printed and logged.")
@click.argument("run_name", metavar="RUN", shell_complete=_complete_runs)
@click.argument("step_name", metavar="[STEP]", required=False)
def logs(run_name: str, step_name: str | None) -> None:
    """Show the stdout, stderr and logging output of STEP of RUN (default: of every step, in order)."""
    with _user_errors():
        found = open_repository().get_run(run_name)
        steps = [found.get_step(step_name)] if step_name else found.steps
        for step in steps:
            text = step.logs
            if step_name is None:
                output.echo(f"== {step.name} ==")
            if text is None:
                output.info(f"Step '{step.name}' has no logs ({step.status.value}: only steps that ran have logs).")
            elif text:
                output.echo(text.rstrip("\n"))


def _run_heading(found: PipelineRunView) -> list[str]:
    """The lines above a run's table of steps."""
    lines = [
        f"Run:        {found.name}",
        f"Pipeline:   {found.pipeline_name}",
        f"Status:     {found.status.value}",
        f"Stack:      {found.stack.get('name', '')}",
        f"Started:    {_when(found.start_time)}",
        f"Duration:   {_seconds(found.duration)}",
    ]
    if found.parameters:
        lines.append(f"Parameters: {_pairs(found.parameters)}")
    options = {k: v for k, v in found.runtime_configuration.items() if k != "run_name"}
    if options:
        lines.append(f"Runtime configuration: {_pairs(options)}")
    if found.error:
        lines.append(f"Error:      {found.error}")
    if found.metadata:
        lines.append(f"Metadata:   {_pairs(found.metadata)}")
    return lines


def _retried(steps: list[StepView]) -> list[str]:
    """``Retried steps:`` and one line per step that took more than one attempt, or nothing."""
    lines = [f"  {step.name}: {step.attempts} attempts" for step in steps if step.attempts > 1]
    return ["Retried steps:", *lines] if lines else []


def _step_metadata(steps: list[StepView]) -> list[str]:
    """``Step metadata:`` and one line per step that has some, or nothing."""
    lines = [f"  {step.name}: {_pairs(step.metadata)}" for step in steps if step.metadata]
    return ["Step metadata:", *lines] if lines else []


def _artifact_warnings(steps: list[StepView]) -> list[str]:
    """``Artifact warnings:`` and one line per warning, or nothing."""
    lines = [
        f"  {step.name}.{name}: {warning}"
        for step in steps
        for name, artifact in step.outputs.items()
        for warning in artifact.warnings
    ]
    return ["Artifact warnings:", *lines] if lines else []


def _step_row(step: StepView) -> dict[str, str]:
    outputs = "; ".join(f"{n}: {a.uri}" for n, a in step.outputs.items())
    if step.status.value == "failed" and step.error:
        outputs = step.error.strip().splitlines()[-1]
    return {
        "name": step.name,
        "status": step.status.value,
        "duration": _seconds(step.duration),
        "cached": "yes" if step.is_cached else "no",
        "outputs": outputs,
    }


def _run_summary(found: PipelineRunView) -> dict[str, Any]:
    return {
        "name": found.name,
        "pipeline": found.pipeline_name,
        "status": found.status.value,
        "started": found.start_time.isoformat() if found.start_time else None,
        "duration": found.duration,
        "stack": found.stack.get("name"),
    }


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _when(moment: datetime.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.1f}ms" if value < 1 else f"{value:.2f}s"
