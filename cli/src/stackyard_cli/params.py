"""Parsing a flavor's ``--key=value`` / ``--key value`` parameters from the command line.

Values stay strings here; the flavor's attrs/cattrs schema converts them
(ints, floats, booleans, JSON lists and dicts) and names every bad one.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

RESERVED = frozenset({"name", "uuid", "type", "flavor"})


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
