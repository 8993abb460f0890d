"""``stackyard plugin``: the installed plugin packages and what they provide."""

from __future__ import annotations

import click

from stackyard_cli import output


@click.group()
def plugin() -> None:
    """List installed plugins and the flavors they provide."""


@plugin.command(name="list")
@output.output_option
def list_plugins(output_format: str) -> None:
    """List every entry point in the stackyard.plugins group and whether it loaded.

    A plugin that fails to load is shown with its error and never stops
    other plugins or commands.
    """
    from stackyard.plugins import get_registry

    registry = get_registry()
    if output_format != "table":
        output.print_data([p.to_dict() for p in registry.plugins], output_format)
        return
    rows = [
        [
            p.name,
            p.package,
            p.version,
            "\n".join(f"{t.cli_name}/{name}" for t, name in p.flavors),
            _status(p.status, p.error),
        ]
        for p in registry.plugins
    ]
    output.print_table(["PLUGIN", "PACKAGE", "VERSION", "FLAVORS", "STATUS"], rows, wrap={"STATUS"})
    for conflict in registry.conflicts:
        output.warning(str(conflict))


def _status(status: str, error: str | None) -> str:
    """``loaded``, or the status with the error that stopped the plugin on the next line."""
    return f"{status}\n{error}" if error else status
