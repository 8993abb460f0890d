"""The click group every ``stackyard`` command group is made of.

It differs from ``click.Group`` in three things a user meets: a bare group
prints its help and exits 0; a mistyped command gets one suggestion format
everywhere (``No such command 'stak'. Did you mean 'stack'?``); and the
command list shows each command's whole first sentence, wrapped, never cut
mid-sentence. Only click is imported here (``--help`` must stay fast).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click


class Group(click.Group):
    """A command group: bare, it shows its help (exit 0); a typo gets a suggestion."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", True)
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        command = self.get_command(ctx, name)
        if command is not None:
            return name, command, args[1:]
        if ctx.resilient_parsing or name.startswith("-"):
            return super().resolve_command(ctx, args)  # click's handling of options and completion
        raise click.UsageError(f"No such command '{name}'.{suggestion(name, self.list_commands(ctx))}", ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            text = self.command_help(ctx, name)
            if text is not None:
                rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def command_help(self, ctx: click.Context, name: str) -> str | None:
        """The one-line help of subcommand ``name`` in the command list (``None``: not listed)."""
        command = self.get_command(ctx, name)
        if command is None or command.hidden:
            return None
        return short_help(command)


def short_help(command: click.Command) -> str:
    """A command's ``short_help``, else the first sentence of its help, whole."""
    if command.short_help:
        return command.short_help
    return first_sentence(command.help or "")


_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs")


def first_sentence(text: str) -> str:
    """The first sentence of ``text``'s first paragraph: up to a full stop outside parentheses
    that ends neither an abbreviation (e.g., i.e.) nor the text inside quotes."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    depth = 0
    for index, char in enumerate(paragraph):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == "." and depth == 0 and paragraph[index + 1 : index + 2] in ("", " "):
            word = paragraph[:index].rsplit(" ", 1)[-1].lower()
            if word not in _ABBREVIATIONS:
                return paragraph[: index + 1]
    return paragraph


def suggestion(name: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` (or ``'x' or 'y'`` when both are about as close) for a mistyped name;
    the empty string if nothing is close."""
    import difflib

    scored = []
    for candidate in candidates:
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        if ratio >= 0.6:
            scored.append((ratio, candidate))
    if not scored:
        return ""
    scored.sort(key=lambda item: (-item[0], item[1]))
    best = scored[0][0]
    close = [candidate for ratio, candidate in scored[:2] if ratio >= best - 0.1]
    return " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
