"""The root command: help, versions, lazy command loading, errors, debug tracebacks, completion."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stackyard.enums import StackComponentType
from stackyard_cli import main as main_module
from stackyard_cli.lazy import LazyCommand, LazyGroup
from stackyard_cli.main import cli

from .conftest import table_rows


def test_help_lists_every_command(ok) -> None:
    text = ok("--help").stdout
    for name in ("init", "clean", "profile", "stack", "plugin", "pipeline", *(t.cli_name for t in StackComponentType)):
        assert f"\n  {name} " in text
    assert ok("-h").stdout == text


def test_the_component_types_spelled_out_for_help_match_the_core() -> None:
    assert [name for name, _ in main_module.COMPONENT_TYPES] == [t.cli_name for t in StackComponentType]
    assert [plural for _, plural in main_module.COMPONENT_TYPES] == [t.plural.replace("_", " ") for t in StackComponentType]


def test_version_names_core_cli_and_each_plugin_package(ok, acme: str) -> None:
    lines = ok("--version").stdout.splitlines()
    assert lines[:2] == ["stackyard-core 0.1.0", "stackyard-cli 0.1.0"]
    assert "stackyard-local 0.1.0" in lines
    assert "stackyard-acme 2.1" in lines


def test_unknown_commands_and_options_are_usage_errors(fails) -> None:
    assert "No such command 'stak'" in fails("stak", code=2).stderr
    assert "No such option" in fails("stack", "list", "--bogus", code=2).stderr
    assert "Invalid value for '--output'" in fails("stack", "list", "--output", "xml", code=2).stderr


def test_a_missing_command_module_says_it_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = dict(cli.lazy_commands)
    lazy["pipeline"] = LazyCommand("stackyard_cli.commands.no_such_module", "pipeline", "Run and inspect pipelines.")
    group = LazyGroup(name="stackyard", lazy_commands=lazy)
    result = CliRunner().invoke(group, ["pipeline", "run", "x"])
    assert result.exit_code == 1
    assert result.output == "Error: The 'pipeline' commands are not available in this installation.\n"
    assert re.search(r"\n  pipeline +Run and inspect pipelines\.\n", CliRunner().invoke(group, ["--help"]).output)


def test_a_command_module_that_fails_to_import_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_commands_mod.py").write_text("import not_a_real_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    group = LazyGroup(name="stackyard", lazy_commands={"thing": LazyCommand("broken_commands_mod", "thing", "A thing.")})
    result = CliRunner().invoke(group, ["thing"])
    assert result.exit_code == 1
    assert "The 'thing' commands failed to load: ModuleNotFoundError" in result.output


def test_the_pipeline_group_loads(ok) -> None:
    result = ok("pipeline", "--help")
    assert "Usage: stackyard pipeline" in result.output
    assert "run-describe" in result.output


def test_a_missing_command_module_is_reported_as_not_available(tmp_path: Path) -> None:
    group = LazyGroup(
        name="stackyard",
        lazy_commands={"pipeline": LazyCommand("stackyard_cli.commands.not_there", "pipeline", "Pipelines.")},
    )
    result = CliRunner().invoke(group, ["pipeline", "--help"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: The 'pipeline' commands are not available in this installation."


def test_user_errors_are_one_line_and_exit_1(fails) -> None:
    result = fails("stack", "set", "nope")
    assert result.stderr.splitlines()[-1] == "Error: No stack named 'nope'."


def test_debug_shows_the_traceback(run) -> None:
    run("stack", "list")
    result = run("stack", "set", "nope", env={"STACKYARD_DEBUG": "1"})
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "StackNotFoundError" in result.stderr
    assert result.stderr.splitlines()[-1] == "Error: No stack named 'nope'."


def test_an_unexpected_exception_is_still_one_line(run, monkeypatch: pytest.MonkeyPatch) -> None:
    from stackyard.repository import Repository

    def explode(self: Repository) -> dict:
        raise RuntimeError("boom")

    monkeypatch.setattr(Repository, "stack_configurations", property(explode))
    result = run("stack", "list")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == "Error: Unexpected RuntimeError: boom (set STACKYARD_DEBUG=1 to see the traceback)"
    result = run("stack", "list", env={"STACKYARD_DEBUG": "1"})
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise RuntimeError("boom")' in result.stderr


def test_a_damaged_file_is_named_and_nothing_else_is_touched(ok, fails, config_dir: Path) -> None:
    ok("stack", "copy", "default", "dev")
    damaged = config_dir / "profiles" / "default" / "stacks" / "dev.toml"
    damaged.write_text("this is [not toml")
    other = (config_dir / "profiles" / "default" / "stacks" / "default.toml").read_text()
    result = fails("stack", "list")
    assert f"Error: Cannot read configuration file {damaged}: not valid TOML" in result.stderr
    assert (config_dir / "profiles" / "default" / "stacks" / "default.toml").read_text() == other
    assert damaged.read_text() == "this is [not toml"


def test_a_fresh_machine_without_the_local_flavors_gets_one_clean_error(fails) -> None:
    result = fails("stack", "list", env={"STACKYARD_DISABLE_PLUGINS": "local"})
    assert "pip install stackyard-local" in result.stderr.splitlines()[-1]


def test_core_log_messages_are_shown_only_while_a_command_runs(ok, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    ok("stack", "copy", "default", "dev")
    logger = logging.getLogger("stackyard")
    assert logger.handlers == []
    assert logger.propagate is True


# -- shell completion -----------------------------------------------------------


def complete(words: str) -> list[str]:
    """What bash completion offers after ``words`` (the last word may be partial)."""
    parts = words.split(" ")
    result = CliRunner().invoke(
        cli,
        [],
        prog_name="stackyard",
        env={"_STACKYARD_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)},
    )
    return [line.split(",", 1)[1] for line in result.output.splitlines() if line]


def test_completion_of_command_names() -> None:
    from stackyard.plugins import get_registry

    # the built-in commands, and those installed plugins add (stackyard-dashboard's ``dashboard``)
    added = sorted(name for name in get_registry().commands() if name.startswith("st"))
    assert complete("stackyard st") == sorted(["stack", "step-operator", *added])
    assert "remove-component" in complete("stackyard stack ")


def test_completion_of_registered_names(ok, acme: str) -> None:
    ok("stack", "copy", "default", "dev")
    ok("profile", "create", "team")
    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "w")
    assert complete("stackyard stack set ") == ["default", "dev"]
    assert complete("stackyard stack describe d") == ["default", "dev"]
    assert complete("stackyard profile set t") == ["team"]
    assert complete("stackyard alerter describe ") == ["bell"]
    assert complete("stackyard stack register x -al ") == ["bell"]
    installed = [row[0] for row in table_rows(ok("alerter", "flavor", "list").stdout)]  # stackyard-apprise's too
    assert "echo" in installed
    assert complete("stackyard alerter register x --flavor ") == installed
    assert complete("stackyard alerter flavor describe ") == installed
    assert complete("stackyard alerter flavor describe ec") == ["echo"]


def test_completion_never_fails(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text("broken [")
    assert complete("stackyard stack set ") == []


def test_commands_are_click_commands() -> None:
    for name in cli.lazy_commands:
        if name == "pipeline":
            continue
        assert isinstance(cli.get_command(click.Context(cli), name), click.Command)


def test_no_plugins_loads_only_the_builtin_flavors(ok, acme: str) -> None:
    import json
    import os

    data = {p["name"]: p["status"] for p in json.loads(ok("--no-plugins", "plugin", "list", "--output", "json").stdout)}
    assert data["acme"] == "disabled"
    assert data["local"] == "loaded"
    assert "STACKYARD_DISABLE_PLUGINS" not in os.environ  # only for that one command
    assert {p["name"]: p["status"] for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}["acme"] == "loaded"
