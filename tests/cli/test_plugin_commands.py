"""Commands that plugin packages add to ``stackyard`` through the ``stackyard_cli_commands`` hook."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import table_rows

# "acme-board", not "dashboard": the real stackyard-dashboard package adds ``dashboard``, and CI installs it
# next to these test plugins (a second plugin adding a taken command name is refused, see below)
DASHBOARD_PLUGIN = '''
import click
from stackyard import hookimpl
from stackyard.plugins import CliCommand


@click.group()
def board():
    """Serve the dashboard."""


@board.command()
@click.option("--port", default=8080)
def serve(port):
    """Serve it."""
    click.echo(f"Serving the dashboard on port {port}.")


@hookimpl
def stackyard_cli_commands():
    return [CliCommand(name="acme-board", source="stackyard_dash_plugin:board", help="Serve the dashboard.")]
'''

BROKEN_COMMANDS = '''
from stackyard import hookimpl

NOT_A_COMMAND = 42


@hookimpl
def stackyard_cli_commands():
    return [
        {"name": "gone", "source": "module_nobody_installed:cli", "help": "Never loads."},
        {"name": "odd", "source": "stackyard_odd_plugin:NOT_A_COMMAND", "help": "Not a command."},
        {"name": "stack", "source": "stackyard_odd_plugin:NOT_A_COMMAND", "help": "Takes a built-in name."},
    ]
'''


@pytest.fixture
def dash(make_plugin: Callable[..., Path]) -> Path:
    return make_plugin("stackyard-dash", "stackyard_dash_plugin", DASHBOARD_PLUGIN, entry_point="dash")


@pytest.fixture
def odd(make_plugin: Callable[..., Path]) -> Path:
    return make_plugin("stackyard-odd", "stackyard_odd_plugin", BROKEN_COMMANDS, entry_point="odd")


def test_a_plugin_command_runs(ok, dash: Path) -> None:
    assert ok("acme-board", "serve", "--port", "9000").stdout == "Serving the dashboard on port 9000.\n"
    assert "Serve it." in ok("acme-board", "--help").stdout


def test_help_lists_plugin_commands_once_discovery_is_cached(ok, dash: Path) -> None:
    assert "acme-board" not in ok("--help").stdout  # nothing discovered yet: --help never imports plugins
    ok("plugin", "list")
    lines = ok("--help").stdout.splitlines()
    assert [line.split() for line in lines if "acme-board" in line] == [["acme-board", "Serve", "the", "dashboard."]]
    assert "acme-board" not in ok("--no-plugins", "--help").stdout


def test_a_plugin_command_that_cannot_load_is_one_clean_error(ok, fails, odd: Path) -> None:
    result = fails("gone")
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: The 'gone' command of plugin odd (stackyard-odd) failed to load: Cannot import "
        "'module_nobody_installed' for 'module_nobody_installed:cli': No module named 'module_nobody_installed'."
    )
    result = fails("odd")
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: The 'odd' command of plugin odd (stackyard-odd) failed to load: "
        "stackyard_odd_plugin:NOT_A_COMMAND is not a click command."
    )
    ok("stack", "list")
    assert "gone" in ok("--help").stdout


def test_a_plugin_command_cannot_replace_a_builtin_one(ok, odd: Path) -> None:
    rows = table_rows(ok("plugin", "list").stdout)
    text = " ".join(" ".join(row) for row in rows)
    assert "command 'stack' refused: stackyard has a built-in command of that name" in " ".join(text.split())
    data = {p["name"]: p for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}
    assert [c["name"] for c in data["odd"]["commands"]] == ["gone", "odd"]
    assert table_rows(ok("stack", "list").stdout)[0][1] == "default"  # the built-in command ran


def test_a_command_name_another_plugin_took_is_refused(ok, dash: Path, make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-dash-copy", "stackyard_dash_copy_plugin", DASHBOARD_PLUGIN.replace("stackyard_dash_plugin", "stackyard_dash_copy_plugin"), entry_point="dash-copy")
    data = {p["name"]: p for p in json.loads(ok("plugin", "list", "--output", "json").stdout)}
    assert [c["name"] for c in data["dash"]["commands"]] == ["acme-board"]
    assert data["dash-copy"]["commands"] == []
    assert "command 'acme-board' refused: stackyard-dash already adds a command of that name" in data["dash-copy"]["error"]
    assert ok("acme-board", "serve").stdout == "Serving the dashboard on port 8080.\n"


def test_the_real_program_lists_and_runs_plugin_commands(shell, dash: Path, odd: Path) -> None:
    env = {"PYTHONPATH": str(dash)}
    assert shell("plugin", "list", env=env).returncode == 0  # discovery, cached
    help_text = shell("--help", env=env).stdout
    assert "acme-board" in help_text and "gone" in help_text
    result = shell("acme-board", "serve", env=env)
    assert (result.returncode, result.stdout) == (0, "Serving the dashboard on port 8080.\n")
    result = shell("gone", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        line for line in result.stderr.splitlines() if line.strip()
    ][-1:]


def test_core_knows_every_builtin_command_name() -> None:
    from stackyard.plugins.loader import BUILTIN_COMMANDS
    from stackyard_cli.main import COMMANDS

    assert set(COMMANDS) == BUILTIN_COMMANDS


@pytest.mark.parametrize("setting", ["STACKYARD_CONFIG_PATH", "XDG_CONFIG_HOME", "HOME"])
def test_help_looks_for_the_cache_in_the_config_directory(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackyard.profiles import config_dir
    from stackyard_cli.lazy import _cache_dir

    for name in ("STACKYARD_CONFIG_PATH", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(setting, str(tmp_path / "somewhere"))
    assert _cache_dir() == str(config_dir() / "cache")
