"""What a new user meets first: table widths off a terminal, empty lists, one flavor list,
``pipeline run --output json``, typo suggestions, short helps and bare groups (issue 14)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from stackyard.enums import StackComponentType
from stackyard_cli.group import Group, short_help
from stackyard_cli.main import cli
from stackyard_cli.output import display_width

from .conftest import table_rows

LONG_ERROR_PLUGIN = '''
raise RuntimeError("cannot load stackyard_acme.plugin because its configuration names an unknown backend")
'''

PIPELINE = '''
from stackyard import pipeline, step


@step
def numbers() -> int:
    return 20


@step
def double(value: int) -> int:
    return value * 2


@pipeline
def doubling():
    double(numbers())
'''

FAILING_PIPELINE = '''
from stackyard import pipeline, step


@step
def explode() -> int:
    raise ValueError("no numbers today")


@pipeline
def failing():
    explode()
'''


@pytest.fixture
def off_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output to a pipe or a log: no terminal and no ``COLUMNS``."""
    monkeypatch.delenv("COLUMNS", raising=False)


def cell_text(rows: list[list[str]], column: int) -> str:
    """The words of one column across all table lines, wrapped cells joined again."""
    return " ".join(row[column] for row in rows if len(row) > column and row[column])


# -- 2: tables fit 80 columns off a terminal, wrapped at word boundaries --------------------


def test_off_a_terminal_a_table_fits_80_columns_and_keeps_every_word(shell, off_terminal) -> None:
    result = shell("flavor", "list")  # a pipe: descriptions are longer than 80 columns allow
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and max(display_width(line) for line in lines) <= 80
    described = " ".join(cell_text(table_rows(result.stdout), 3).split())
    assert "Keeps artifacts in a folder on this machine." in described  # wrapped, nothing cut
    data = json.loads(shell("flavor", "list", "--output", "json").stdout)  # scripts still get the whole text
    assert {"type": "artifact_store", "name": "local"}.items() <= next(
        d for d in data if d["type"] == "artifact_store" and d["name"] == "local"
    ).items()


def test_plugin_errors_wrap_at_word_boundaries(ok, make_plugin, off_terminal) -> None:
    make_plugin("stackyard-acme", "stackyard_acme_plugin", LONG_ERROR_PLUGIN, entry_point="acme")
    result = ok("plugin", "list")
    lines = result.stdout.splitlines()
    assert max(display_width(line) for line in lines) <= 80
    rows = table_rows(result.stdout)
    start = next(i for i, row in enumerate(rows) if row[0] == "acme")
    end = next((i for i in range(start + 1, len(rows)) if rows[i][0]), len(rows))
    status = [row[-1] for row in rows[start:end] if row[-1]]
    assert status[0] == "failed"
    # How wide the cell is depends on what else is installed (CI installs every flavor package, whose hooks
    # and flavors take room too), so the rules are checked against the cell's own width:
    width = display_width(next(line for line in lines if line.startswith("┃")).split("│")[-1].rstrip("┃")) - 2
    expected = (
        "cannot load stackyard_acme_plugin: RuntimeError: cannot load stackyard_acme.plugin "
        "because its configuration names an unknown backend"
    )
    cell = status[1:]
    assert all(display_width(line) <= width for line in cell), (width, cell)
    # the lines are the text, in order, broken at spaces; or inside a word longer than the cell, after
    # _ . / - or before a capital (RuntimeError -> Runtime|Error:) where it can, else only where the line is full
    position = 0
    for line, after in zip(cell, [*cell[1:], ""]):
        assert expected.startswith(line, position), (line, cell)
        position += len(line)
        if expected.startswith(" ", position) or not after:
            position += 1
            continue
        word = expected[: position].split(" ")[-1] + expected[position:].split(" ")[0]
        assert display_width(word) > width, f"{word!r} fits a cell of {width} but was broken: {cell}"
        assert line[-1] in "_./-" or (line[-1].islower() and after[0].isupper()) or display_width(line) == width, cell
    assert position == len(expected) + 1, cell  # nothing left out
    assert {"because", "backend"} <= {word for line in cell for word in line.split()}  # the cell holds whole words


def test_a_terminal_width_still_applies(ok, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    lines = ok("flavor", "list").stdout.splitlines()
    assert max(display_width(line) for line in lines) <= 70


# -- 4: empty lists say what to do -------------------------------------------------------------


def test_an_empty_component_list_prints_the_command_that_registers_one(ok) -> None:
    result = ok("alerter", "list")
    assert result.stdout == ""  # no header-only table
    assert (
        "No alerters are registered in this profile. Register one with: stackyard alerter register NAME "
        "--flavor=FLAVOR (flavors: stackyard alerter flavor list)."
    ) in result.stderr
    assert json.loads(ok("alerter", "list", "--output", "json").stdout) == []


@pytest.mark.parametrize("words", [("alerter", "flavor", "list"), ("flavor", "list", "--type", "alerter")])
def test_no_installed_flavor_points_to_packages_and_plugin_list(ok, words: tuple[str, ...]) -> None:
    # every type has a flavor in some installed package (alerters: stackyard-apprise); with every plugin but
    # the built-in one disabled, alerters have none
    only_local = {"STACKYARD_DISABLE_PLUGINS": "*"}
    result = ok(*words, env=only_local)
    assert result.stdout == ""
    assert "No alerter flavors are installed. Install a package that provides one" in result.stderr
    assert "stackyard plugin list" in result.stderr
    assert json.loads(ok(*words, "--output", "json", env=only_local).stdout) == []


# -- 5: one flavor list for every type --------------------------------------------------------


def test_flavor_list_covers_every_type_and_filters(ok) -> None:
    rows = table_rows(ok("flavor", "list").stdout)
    listed = {(row[0], row[1]) for row in rows if row[0]}
    assert {("orchestrator", "local"), ("artifact-store", "local"), ("metadata-store", "sqlite")} <= listed
    only = table_rows(ok("flavor", "list", "--type", "artifact-store").stdout)
    assert {row[0] for row in only if row[0]} == {"artifact-store"}
    data = json.loads(ok("flavor", "list", "-t", "orchestrator", "-t", "metadata-store", "--output", "json").stdout)
    assert {(d["type"], d["name"]) for d in data} >= {("orchestrator", "local"), ("metadata_store", "sqlite")}
    assert {d["type"] for d in data} == {"orchestrator", "metadata_store"}
    assert all(d["package"] and "source" in d for d in data)


def test_flavor_list_refuses_an_unknown_type(run) -> None:
    result = run("flavor", "list", "--type", "artefact-store")
    assert result.exit_code == 2
    assert "'artefact-store' is not one of" in result.stderr


# -- 6: pipeline run --output json ----------------------------------------------------------------


def test_pipeline_run_prints_the_run_as_json(shell, isolated: Path) -> None:
    (isolated / "doubling.py").write_text(PIPELINE)
    result = shell("pipeline", "run", "doubling.py:doubling", "--run-name", "first", "--output", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # nothing but the data on stdout
    assert (data["name"], data["status"]) == ("first", "completed")
    assert [(s["name"], s["status"]) for s in data["steps"]] == [("numbers", "completed"), ("double", "completed")]


def test_a_failed_run_still_prints_its_json_and_exits_1(shell, isolated: Path) -> None:
    (isolated / "failing.py").write_text(FAILING_PIPELINE)
    result = shell("pipeline", "run", "failing.py:failing", "--run-name", "bad", "--output", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert (data["name"], data["status"]) == ("bad", "failed")
    assert "Error: Pipeline run 'bad' failed." in result.stderr
    assert "Traceback" not in result.stderr.split("Error:")[-1]


# -- 7: typo suggestions, one format ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("stak", "list"), "No such command 'stak'. Did you mean 'stack'?"),
        (("artefact-store", "list"), "No such command 'artefact-store'. Did you mean 'artifact-store'?"),
        (("stack", "lst"), "No such command 'lst'. Did you mean 'list'?"),
        (("artifact-store", "flavor", "lst"), "No such command 'lst'. Did you mean 'list'?"),
        (("profile", "craete", "x"), "No such command 'craete'. Did you mean 'create'?"),
        (("stack", "xyzzy"), "No such command 'xyzzy'."),
    ],
)
def test_a_mistyped_command_gets_a_suggestion(run, words: tuple[str, ...], message: str) -> None:
    result = run(*words)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


# -- 8: whole short helps ---------------------------------------------------------------------------


def walk(command: click.Command, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """``(command path, short help as listed)`` of every subcommand under ``command``."""
    if not isinstance(command, click.Group):
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None, name
        listed = command.command_help(ctx, name) if isinstance(command, Group) else short_help(sub)
        yield " ".join((*path, name)), listed or ""
        yield from walk(sub, click.Context(sub, parent=ctx, info_name=name), (*path, name))


def test_every_command_has_a_whole_short_help() -> None:
    ctx = click.Context(cli, info_name="stackyard")
    seen = dict(walk(cli, ctx))
    assert "stack remove-component" in seen and "flavor list" in seen
    for path, text in seen.items():
        assert text, f"stackyard {path} has no short help"
        assert text.endswith((".", ")")) and not text.endswith("..."), f"stackyard {path}: {text!r}"
        assert text.count("(") == text.count(")"), f"stackyard {path}: {text!r}"


def test_stack_help_lists_remove_component_in_a_whole_sentence(ok) -> None:
    listing = " ".join(ok("stack", "--help").stdout.split())
    assert "remove-component Remove optional components from stack NAME (e.g. -c for the container registry)." in listing


# -- 9: bare groups print their help and succeed ---------------------------------------------------


@pytest.mark.parametrize(
    "words", [(), ("stack",), ("profile",), ("plugin",), ("pipeline",), ("flavor",), ("artifact-store",),
              ("alerter", "flavor")]
)
def test_a_bare_group_prints_its_help_and_exits_0(shell, words: tuple[str, ...]) -> None:
    result = shell(*words)
    assert result.returncode == 0, result.stderr
    assert re.match(rf"Usage: stackyard {' '.join(words)}\s*\[OPTIONS\] COMMAND \[ARGS\]\.\.\.", result.stdout)
    assert "Commands:" in result.stdout
    assert result.stderr == ""


def test_every_component_type_group_is_a_stackyard_group() -> None:
    ctx = click.Context(cli, info_name="stackyard")
    for kind in StackComponentType:
        assert isinstance(cli.get_command(ctx, kind.cli_name), Group)
