"""Parsing a flavor's ``--key=value`` / ``--key value`` parameters from the command line.

Values stay strings here; the flavor's attrs/cattrs schema converts them
(ints, floats, booleans, JSON lists and dicts) and names every bad one.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

RESERVED = frozenset({"name", "uuid", "type", "flavor"})


class ParameterCommand(click.Command):
    """A command whose options it does not declare are passed, unparsed, to its last argument.

    ``register NAME --flavor local --path /x`` gives ``--flavor`` to click and
    ``("--path", "/x")`` to the command. The arguments are split here, before
    click parses them, so click never meets an option it does not know (each
    one would cost a look-up for a "did you mean" suggestion it then drops).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for opt in (*param.opts, *param.secondary_opts):
                    takes_value[opt] = not (param.is_flag or param.count)
        own: list[str] = []
        passed: list[str] = []
        items = iter(args)
        for item in items:
            if item == "--":  # everything after it is passed on as it is
                passed.extend(items)
                break
            name = item.partition("=")[0] if item.startswith("--") else item[:2]
            if item.startswith("-") and name in takes_value:
                own.append(item)
                value = next(items, None) if takes_value[name] and item == name else None
                if value is not None:  # "--flavor local", not "--flavor=local" or "-flocal"
                    own.append(value)
            elif item.startswith("-") or passed:
                passed.append(item)
            else:
                own.append(item)  # the command's own arguments (NAME) come before the parameters
        return super().parse_args(ctx, [*own, "--", *passed] if passed else own)


def parse_parameters(args: Sequence[str], *, what: str = "parameter") -> dict[str, str]:
    """``["--path=/x", "--retries", "3"]`` → ``{"path": "/x", "retries": "3"}`` (dashes become ``_``)."""
    result: dict[str, str] = {}
    items = list(args)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if not item.startswith("--") or item == "--":
            raise click.UsageError(
                f"Unexpected argument '{item}'; give {what}s as --key=value or --key value."
            )
        key, sep, value = item[2:].partition("=")
        if not sep:
            if index >= len(items) or items[index].startswith("--"):
                raise click.UsageError(f"The {what} '--{key}' needs a value: --{key}=VALUE.")
            value = items[index]
            index += 1
        key = key.replace("-", "_")
        if not key:
            raise click.UsageError(f"Empty {what} name in '{item}'; use --key=value.")
        if key in RESERVED:
            raise click.UsageError(f"'--{key}' cannot be set as a {what}.")
        if key in result:
            raise click.UsageError(f"The {what} '--{key}' is given twice.")
        result[key] = value
    return result
