"""``stackyard plugin``: the installed plugin packages and what they provide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from stackyard.enums import StackComponentType
from stackyard_cli import output
from stackyard_cli.errors import UserError
from stackyard_cli.group import Group
from stackyard_cli.views import Column, View, render

if TYPE_CHECKING:
    from stackyard.plugins import FlavorConflict, PluginInfo
    from stackyard.repository import Repository


@click.group(cls=Group)
def plugin() -> None:
    """List, install and uninstall flavor packages; start a new one."""


@plugin.command(name="list")
@output.output_option
def list_plugins(output_format: str) -> None:
    """List every entry point in the stackyard.plugins group and whether it loaded.

    A plugin that fails to load is shown with its error and never stops
    other plugins or commands.
    """
    repo = _repository()
    plugins = repo.get_plugins()
    conflicts = repo.get_flavor_conflicts()
    data = [_plugin_data(p, conflicts) for p in plugins]
    columns = [
        Column("PLUGIN", "name"),
        Column("PACKAGE", lambda r: f"{r['package']} {r['version']}"),
        Column("HOOKS", "hooks", wrap=True),
        Column("FLAVORS", "flavors", wrap=True),
        Column("STATUS", "status", wrap=True),  # names are never cut
    ]
    view = View(
        columns,
        rows=lambda _: [_plugin_row(p, conflicts) for p in plugins],
        notes=[str(c) for c in conflicts],
    )
    render(data, output_format, view)


def _plugin_data(info: PluginInfo, conflicts: list[FlavorConflict]) -> dict[str, Any]:
    data = info.to_dict()
    data["clashes"] = [
        {"flavor": f"{c.type.value}/{c.name}", "packages": list(c.packages)}
        for c in conflicts
        if (c.type, c.name) in info.flavors
    ]
    return data


def _plugin_row(info: PluginInfo, conflicts: list[FlavorConflict]) -> dict[str, str]:
    return {
        "name": info.name,
        "package": info.package,
        "version": info.version,
        "hooks": "\n".join(h.removeprefix("stackyard_") for h in info.hooks),
        "flavors": "\n".join(_flavor_cell(conflicts, info, t, name) for t, name in info.flavors),
        "status": _status(info.status, "\n".join(info.errors)),
    }


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


def _flavor_cell(
    conflicts: list[FlavorConflict], plugin: PluginInfo, component_type: StackComponentType, name: str
) -> str:
    """``type/name``, plus which other packages provide the same flavor if it clashes."""
    cell = f"{component_type.cli_name}/{name}"
    for conflict in conflicts:
        if conflict.type is component_type and conflict.name == name:
            label = f"{plugin.package} {plugin.version}"
            others = [p for p in conflict.packages if p != label]
            winner = "used" if conflict.packages[0] == label else "not used"
            cell += f" (clashes with {', '.join(others)}; {winner})"
    return cell


@plugin.command()
@click.argument("packages", nargs=-1, required=True)
@click.option("--upgrade", "-U", is_flag=True, help="Upgrade packages that are already installed.")
def install(packages: tuple[str, ...], upgrade: bool) -> None:
    """Install flavor packages with pip, then show the flavors that appeared.

    PACKAGES are anything pip accepts: names, version specifiers, wheel files
    or folders. They go into the Python environment that runs stackyard.
    """
    repo = _repository()
    before = _installed_flavors(repo)
    _pip("install", *(["--upgrade"] if upgrade else []), *packages)
    added = sorted(_installed_flavors(repo) - before, key=lambda f: (f[0].value, f[1]))
    if not added:
        output.info("No new flavors appeared; stackyard plugin list shows what each plugin provides.")
        return
    data = []
    for component_type, name in added:
        flavor = repo.get_flavor(component_type, name)
        data.append({
            "type": component_type.cli_name,
            "name": name,
            "package": flavor.package_label,
            "description": flavor.description,
        })
    columns = [
        Column("TYPE", "type"),
        Column("FLAVOR", "name"),
        Column("PACKAGE", "package"),
        Column("DESCRIPTION", "description", shrink=True),
    ]
    render(data, "table", View(columns, title="New flavors"))


@plugin.command()
@click.argument("package")
@click.option("--force", is_flag=True, help="Uninstall even if registered components use its flavors.")
def uninstall(package: str, force: bool) -> None:
    """Uninstall a flavor package with pip.

    Refused while components in any profile use its flavors, unless --force:
    those components then keep their records and show as 'flavor missing'.
    """
    repo = _repository()
    plugins = repo.get_plugins(package)
    if not plugins:
        raise UserError(
            f"'{package}' is not an installed Stackyard plugin package (see stackyard plugin list); "
            "to remove other packages use pip."
        )
    users = [
        f"profile '{profile}': {record.type.display_name} '{record.name}'"
        for profile, record in repo.components_using_plugins(plugins)
    ]
    if users and not force:
        raise UserError(
            f"{plugins[0].package} provides flavors used by "
            + ", ".join(users)
            + ("; delete that component first, or pass --force to keep it as a record with its flavor missing."
               if len(users) == 1
               else "; delete those components first, or pass --force to keep them as records with their flavor missing.")
        )
    _pip("uninstall", "--yes", plugins[0].package)
    output.success(f"Uninstalled {plugins[0].package}.")
    for user in users:
        output.warning(f"{user} now has its flavor missing (install {plugins[0].package} to use it again).")


def _repository() -> Repository:
    """The repository, without the active-profile line: plugins are the same in every profile."""
    from stackyard.repository import Repository

    return Repository()


def _installed_flavors(repo: Repository) -> set[tuple[StackComponentType, str]]:
    """``(type, name)`` of every installed flavor, discovered afresh."""
    repo.reload_plugins()
    return {flavor for p in repo.get_plugins() for flavor in p.flavors}


def _pip(*args: str) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "pip", *args]
    output.info("Running: " + " ".join(command))
    result = subprocess.run(command)
    if result.returncode != 0:
        raise UserError(f"pip {args[0]} failed (exit code {result.returncode}); nothing else was changed.")


def _status(status: str, error: str | None) -> str:
    """``loaded``, or the status with the error that stopped the plugin on the next line."""
    return f"{status}\n{error}" if error else status
