"""``stackyard plugin``: the installed plugin packages and what they provide."""

from __future__ import annotations

import click

from typing import TYPE_CHECKING

from stackyard.enums import StackComponentType
from stackyard_cli import output
from stackyard_cli.errors import UserError

if TYPE_CHECKING:
    from stackyard.plugins import PluginInfo, PluginRegistry


@click.group()
def plugin() -> None:
    """List, install and uninstall flavor packages; start a new one."""


@plugin.command(name="list")
@output.output_option
def list_plugins(output_format: str) -> None:
    """List every entry point in the stackyard.plugins group and whether it loaded.

    A plugin that fails to load is shown with its error and never stops
    other plugins or commands.
    """
    from stackyard.plugins import get_registry
    from stackyard.profiles import config_dir

    registry = get_registry(config_dir() / "cache")
    if output_format != "table":
        data = []
        for p in registry.plugins:
            item = p.to_dict()
            item["clashes"] = [
                {"flavor": f"{c.type.value}/{c.name}", "packages": list(c.packages)}
                for c in registry.conflicts
                if (c.type, c.name) in p.flavors
            ]
            data.append(item)
        output.print_data(data, output_format)
        return
    rows = [
        [
            p.name,
            p.package,
            p.version,
            "\n".join(h.removeprefix("stackyard_") for h in p.hooks),
            "\n".join(_flavor_cell(registry, p, t, name) for t, name in p.flavors),
            _status(p.status, "\n".join(p.errors)),
        ]
        for p in registry.plugins
    ]
    output.print_table(
        ["PLUGIN", "PACKAGE", "VERSION", "HOOKS", "FLAVORS", "STATUS"], rows, wrap={"STATUS"}  # names are never cut
    )
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


def _flavor_cell(registry: PluginRegistry, plugin: PluginInfo, component_type: StackComponentType, name: str) -> str:
    """``type/name``, plus which other packages provide the same flavor if it clashes."""
    cell = f"{component_type.cli_name}/{name}"
    for conflict in registry.conflicts:
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
    before = _installed_flavors()
    _pip("install", *(["--upgrade"] if upgrade else []), *packages)
    added = sorted(_installed_flavors() - before, key=lambda f: (f[0].value, f[1]))
    if not added:
        output.info("No new flavors appeared; stackyard plugin list shows what each plugin provides.")
        return
    from stackyard.plugins import get_registry
    from stackyard.profiles import config_dir

    registry = get_registry(config_dir() / "cache")
    rows = []
    for component_type, name in added:
        flavor = registry.find(component_type, name)
        rows.append([component_type.cli_name, name, flavor.package_label if flavor else "", flavor.description if flavor else ""])
    output.print_table(["TYPE", "FLAVOR", "PACKAGE", "DESCRIPTION"], rows, shrinkable={"DESCRIPTION"}, title="New flavors")


@plugin.command()
@click.argument("package")
@click.option("--force", is_flag=True, help="Uninstall even if registered components use its flavors.")
def uninstall(package: str, force: bool) -> None:
    """Uninstall a flavor package with pip.

    Refused while components in any profile use its flavors, unless --force:
    those components then keep their records and show as 'flavor missing'.
    """
    from stackyard.plugins import get_registry
    from stackyard.profiles import config_dir

    wanted = _normalize(package)
    plugins = [p for p in get_registry(config_dir() / "cache").plugins if _normalize(p.package) == wanted]
    if not plugins:
        raise UserError(
            f"'{package}' is not an installed Stackyard plugin package (see stackyard plugin list); "
            "to remove other packages use pip."
        )
    users = _components_using(plugins)
    if users and not force:
        raise UserError(
            f"{plugins[0].package} provides flavors used by "
            + ", ".join(users)
            + "; delete those components first, or pass --force to keep them as records with their flavor missing."
        )
    _pip("uninstall", "--yes", plugins[0].package)
    output.success(f"Uninstalled {plugins[0].package}.")
    for user in users:
        output.warning(f"{user} now has its flavor missing (install {plugins[0].package} to use it again).")


def _normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_flavors() -> set[tuple[StackComponentType, str]]:
    from stackyard.plugins import get_registry, reset_registry
    from stackyard.profiles import config_dir

    reset_registry()
    registry = get_registry(config_dir() / "cache")
    return {(t, f.name) for t in StackComponentType for f in registry.flavors(t)}


def _components_using(plugins: list[PluginInfo]) -> list[str]:
    """``profile 'p': alerter 'x'`` for every component, in every profile, of these plugins' flavors."""
    from stackyard.repository import Repository

    flavors = {(t, name) for p in plugins for t, name in p.flavors}
    packages = {_normalize(p.package) for p in plugins}
    users = []
    for profile in Repository().get_profiles():
        store = profile.store()
        for component_type in StackComponentType:
            for record in store.components(component_type):
                if (component_type, record.flavor) in flavors and (
                    record.package is None or _normalize(record.package) in packages
                ):
                    users.append(f"profile '{profile.name}': {component_type.display_name} '{record.name}'")
    return users


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
