"""``stackyard flavor``: the flavors of every component type in one list."""

from __future__ import annotations

import click

from stackyard.enums import StackComponentType
from stackyard_cli import output
from stackyard_cli.commands.component import _flavor_data, _package_label, _warn_plugin_problems, no_flavors_hint
from stackyard_cli.group import Group
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render


@click.group(cls=Group)
def flavor() -> None:
    """List the flavors of every component type.

    Each component type's own group describes and registers them:
    stackyard TYPE flavor describe FLAVOR.
    """


@flavor.command(name="list")
@click.option(
    "--type", "-t", "type_names", multiple=True, metavar="TYPE",
    type=click.Choice([t.cli_name for t in StackComponentType]),
    help="Only flavors of this component type (repeatable).",
)
@output.output_option
def list_flavors(type_names: tuple[str, ...], output_format: str) -> None:
    """List the installed and custom flavors of every component type (or of --type)."""
    kinds = [StackComponentType.parse(n) for n in type_names] or list(StackComponentType)
    repo = open_repository()
    data = [_flavor_data(f) for kind in kinds for f in repo.get_flavors(kind)]
    _warn_plugin_problems(repo, kinds)
    columns = [
        Column("TYPE", lambda d: d["type"].replace("_", "-")),
        Column("FLAVOR", "name"),
        Column("PACKAGE", _package_label),
        Column("DESCRIPTION", "description", shrink=True),
    ]
    render(data, output_format, View(columns, empty=no_flavors_hint(kinds[0] if len(kinds) == 1 else None)))
