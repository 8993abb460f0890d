"""``stackyard plugin``: the installed plugin packages and what they provide."""

from __future__ import annotations

import click

from stackyard.enums import StackComponentType
from stackyard_cli import output


@click.group()
def plugin() -> None:
    """List installed plugins and what they provide; start a new flavor package."""


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


@plugin.command()
@click.argument("name")
@click.option(
    "--type", "-t", "component_type", required=True, type=click.Choice([t.cli_name for t in StackComponentType]),
    help="The component type of the flavor.",
)
@click.option("--flavor", help="The flavor's name (default: NAME without 'stackyard-').")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False), help="Where to create the package folder (default: here)."
)
def new(name: str, component_type: str, flavor: str | None, directory: str | None) -> None:
    """Write a new flavor package stackyard-NAME from a template.

    It has the stackyard.plugins entry point, a flavor class with one example
    parameter, a README and tests; after pip install -e its tests pass.
    """
    from pathlib import Path

    from stackyard_cli.scaffold import create_plugin_package

    target = create_plugin_package(
        name, StackComponentType.parse(component_type), flavor, Path(directory) if directory else None
    )
    output.success(f"Created the flavor package {target.name} in {target}.")
    output.echo(f"Install it for development with: pip install -e {target}")


def _status(status: str, error: str | None) -> str:
    """``loaded``, or the status with the error that stopped the plugin on the next line."""
    return f"{status}\n{error}" if error else status
