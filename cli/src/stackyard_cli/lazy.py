"""A click group whose subcommands are imported only when they run.

``stackyard --help`` lists every command from the short help strings kept
here, without importing a single command module; ``stackyard stack list``
imports the ``stack`` module and nothing else. Commands that plugins add
(``stackyard_cli_commands``) are listed from the warm plugin discovery cache
and imported only when they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from stackyard_cli.group import Group, short_help


class LazyCommand:
    """Where a subcommand lives: ``module`` and ``attribute`` (called with ``args`` if given)."""

    __slots__ = ("module", "attribute", "help", "args")

    def __init__(self, module: str, attribute: str, help: str, args: tuple[Any, ...] = ()) -> None:
        self.module = module
        self.attribute = attribute
        self.help = help
        self.args = args

    def __repr__(self) -> str:
        return f"LazyCommand({self.module}:{self.attribute}{self.args or ''})"


class _Context(click.Context):
    def make_formatter(self) -> click.HelpFormatter:
        # click would import shutil (and with it bz2 and lzma) only to learn the width
        max_width = self.max_content_width or 80
        width = self.terminal_width or max(min(_terminal_columns(), max_width) - 2, 50)
        return self.formatter_class(width=width, max_width=max_width)


class LazyGroup(Group):
    """A group of :class:`LazyCommand` entries and of the commands plugins add, each loaded on first use."""

    context_class = _Context

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands, *self.plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = self.lazy_commands.get(cmd_name)
        if spec is None:
            return load_plugin_command(cmd_name)  # not kept: what plugins add may change
        command = _load(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def plugin_commands(self, ctx: click.Context) -> dict[str, str]:
        """Name and help of the commands plugins add, as far as the warm discovery cache knows them."""
        found = ctx.meta.get("stackyard.plugin_commands")
        if found is None:
            found = {n: h for n, h in plugin_command_help().items() if n not in self.lazy_commands}
            ctx.meta["stackyard.plugin_commands"] = found
        return found  # type: ignore[no-any-return]

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=self._short_help(ctx, name))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        # Options of the group itself; skip click.Group's version, which imports every command.
        items.extend(click.Command.shell_complete(self, ctx, incomplete))
        return items

    def command_help(self, ctx: click.Context, name: str) -> str | None:
        return self._short_help(ctx, name)  # listed without importing the command

    def _short_help(self, ctx: click.Context, name: str) -> str:
        if name in self.lazy_commands:
            return self.lazy_commands[name].help
        if name in self.commands:
            return short_help(self.commands[name])
        return self.plugin_commands(ctx).get(name, "")


def _terminal_columns() -> int:
    import os
    import sys

    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return 80


def _load(name: str, spec: LazyCommand) -> click.Command:
    import importlib

    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (spec.module == exc.name or spec.module.startswith(exc.name + ".")):
            return _unavailable(name, spec.help, f"the '{name}' commands are not available in this installation")
        return _unavailable(name, spec.help, f"the '{name}' commands failed to load: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken module must not take the CLI down
        return _unavailable(name, spec.help, f"the '{name}' commands failed to load: {type(exc).__name__}: {exc}")
    target = getattr(module, spec.attribute)
    command = target(*spec.args) if spec.args else target
    if not isinstance(command, click.Command):
        raise TypeError(f"{spec.module}.{spec.attribute} is not a click command")
    return command


def plugin_command_help() -> dict[str, str]:
    """Name and help of every plugin command in the warm discovery cache; empty while it is cold.

    Reads one JSON file: ``--help`` never imports a plugin (nor discovers them).
    """
    try:
        from stackyard.plugins.cache import cached_commands

        return {c["name"]: c["help"] for c in cached_commands(_cache_dir()) or []}
    except Exception:  # noqa: BLE001 - no listing is better than no help
        return {}


def _cache_dir() -> str:
    """``<global config dir>/cache`` as ``stackyard.profiles.config_dir()`` finds it, without importing it.

    Importing the profiles module and platformdirs would cost ``--help`` about
    half its time, so the usual locations are worked out here (a test keeps
    them equal). A wrong guess only hides plugin commands from ``--help``: the
    cache is keyed by Python environment, so whatever it lists is right.
    """
    import os
    import sys

    env = os.environ.get("STACKYARD_CONFIG_PATH")  # stackyard.profiles.CONFIG_PATH_ENV
    if env:
        base = os.path.realpath(os.path.expanduser(env))
    elif sys.platform == "win32":
        base = os.path.join(os.environ.get("LOCALAPPDATA", ""), "stackyard")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Application Support/stackyard")
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        base = os.path.join(xdg if os.path.isabs(xdg) else os.path.expanduser("~/.config"), "stackyard")
    return os.path.join(base, "cache")


def load_plugin_command(name: str) -> click.Command | None:
    """The command a plugin adds under ``name`` (a stand-in explaining why if it cannot load), or ``None``."""
    from stackyard import Repository
    from stackyard.plugins import import_object

    spec = Repository().get_plugin_commands().get(name)
    if spec is None:
        return None
    where = f"the '{name}' command of plugin {spec.plugin} ({spec.package})"
    try:
        command = import_object(spec.source)
    except Exception as exc:  # noqa: BLE001 - one broken plugin must not take the CLI down
        return _unavailable(name, spec.help, f"{where} failed to load: {exc}")
    if not isinstance(command, click.Command):
        return _unavailable(name, spec.help, f"{where} failed to load: {spec.source} is not a click command")
    return command


def _unavailable(name: str, help: str, reason: str) -> click.Command:
    """A stand-in that explains why a command group cannot run, instead of crashing."""

    def explain(args: tuple[str, ...]) -> None:
        from stackyard_cli.errors import UserError

        raise UserError(reason[0].upper() + reason[1:].rstrip(".") + ".")

    return click.Command(
        name,
        callback=explain,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        help=help + f" ({reason})",
        short_help=help,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    )
