"""A click group whose subcommands are imported only when they run.

``stackyard --help`` lists every command from the short help strings kept
here, without importing a single command module; ``stackyard stack list``
imports the ``stack`` module and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click


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


class LazyGroup(click.Group):
    """A group of :class:`LazyCommand` entries, each loaded on first use."""

    context_class = _Context

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = self.lazy_commands.get(cmd_name)
        if spec is None:
            return None
        command = _load(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._short_help(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=self._short_help(name))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        # Options of the group itself; skip click.Group's version, which imports every command.
        items.extend(click.Command.shell_complete(self, ctx, incomplete))
        return items

    def _short_help(self, name: str) -> str:
        if name in self.lazy_commands:
            return self.lazy_commands[name].help
        return self.commands[name].get_short_help_str()


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
            return _unavailable(name, spec, f"the '{name}' commands are not available in this installation")
        return _unavailable(name, spec, f"the '{name}' commands failed to load: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken module must not take the CLI down
        return _unavailable(name, spec, f"the '{name}' commands failed to load: {type(exc).__name__}: {exc}")
    target = getattr(module, spec.attribute)
    command = target(*spec.args) if spec.args else target
    if not isinstance(command, click.Command):
        raise TypeError(f"{spec.module}.{spec.attribute} is not a click command")
    return command


def _unavailable(name: str, spec: LazyCommand, reason: str) -> click.Command:
    """A stand-in that explains why a command group cannot run, instead of crashing."""

    def explain(args: tuple[str, ...]) -> None:
        from stackyard_cli.errors import UserError

        raise UserError(reason[0].upper() + reason[1:] + ".")

    return click.Command(
        name,
        callback=explain,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        help=spec.help + f" ({reason})",
        short_help=spec.help,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    )
