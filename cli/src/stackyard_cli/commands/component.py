"""``stackyard <component-type>``: one command group per stack component type.

``component_group("artifact_store")`` builds the ``artifact-store`` group
with ``register``, ``list``, ``describe``, ``update``, ``remove-attribute``,
``rename``, ``delete`` and the ``flavor`` subgroup; the root group calls it
only for the type a command line names.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from stackyard.enums import StackComponentType
from stackyard.plugins import unavailable_flavor_note
from stackyard_cli import output
from stackyard_cli.completion import component_completer, flavor_completer
from stackyard_cli.errors import UserError
from stackyard_cli.params import parse_parameters
from stackyard_cli.session import open_repository

if TYPE_CHECKING:
    from stackyard.plugins import Flavor
    from stackyard.records import ComponentRecord
    from stackyard.repository import Repository

_EXTRA_ARGS = {"ignore_unknown_options": True, "allow_extra_args": False}


def component_group(type_value: str) -> click.Group:
    """The command group of one stack component type."""
    kind = StackComponentType.parse(type_value)
    label = kind.display_name
    title = label[0].upper() + label[1:]
    complete_names = component_completer(kind.value)

    @click.group(name=kind.cli_name)
    def group() -> None:
        pass

    group.help = (
        f"Register, list and configure {kind.plural.replace('_', ' ')}, and list their flavors.\n\n"
        f"Parameters of a flavor are given as --key=value (or --key value); see "
        f"stackyard {kind.cli_name} flavor describe FLAVOR."
    )

    @group.command(context_settings=_EXTRA_ARGS)
    @click.argument("name")
    @click.option("--flavor", "-f", "flavor_name", metavar="FLAVOR", required=True,
                  shell_complete=flavor_completer(kind.value), help="The flavor to use (see: flavor list).")
    @click.argument("parameters", nargs=-1, type=click.UNPROCESSED)
    def register(name: str, flavor_name: str, parameters: tuple[str, ...]) -> None:
        """Register NAME with a flavor and its parameters (--key=value ...)."""
        from stackyard.names import validate_name

        config = parse_parameters(parameters)
        repo = open_repository()
        validate_name("stack component", name)
        flavor = repo.get_flavor(kind, flavor_name)
        repo.register_stack_component(flavor.create(name, config))
        output.success(f"{title} '{name}' successfully registered!")

    register.help = (
        f"Register {kind.with_article} NAME of a FLAVOR.\n\nGive the flavor's parameters as --key=value or "
        f"--key value; see them with stackyard {kind.cli_name} flavor describe FLAVOR."
    )

    @group.command(name="list")
    @output.output_option
    def list_components(output_format: str) -> None:
        """List the registered components of this type; 👉 marks the one in the active stack."""
        repo = open_repository()
        records = repo.get_stack_components(kind)
        active = _active_component(repo, kind)
        available = _available_flavors(repo, kind)
        if output_format != "table":
            data = [_record_data(r, r.name == active, r.flavor in available) for r in records]
            output.print_data(data, output_format)
            return
        keys = sorted({key for r in records for key in r.config})
        rows = [
            [
                r.name,
                r.flavor if r.flavor in available else f"{r.flavor} — {unavailable_flavor_note(r)}",
                r.uuid,
                *(_format_value(r.config[k]) if k in r.config else "" for k in keys),
            ]
            for r in records
        ]
        active_row = next((i for i, r in enumerate(records) if r.name == active), None)
        key_headers = [k.upper() for k in keys]
        output.print_table(
            ["NAME", "FLAVOR", "UUID", *key_headers],
            rows,
            active_row,
            active_column=True,
            shrinkable={"UUID", *key_headers},
        )

    list_components.help = f"List the {kind.plural.replace('_', ' ')}; 👉 marks the one in the active stack."

    @group.command()
    @click.argument("name", required=False, shell_complete=complete_names)
    @output.output_option
    def describe(name: str | None, output_format: str) -> None:
        """Show one component (default: the one in the active stack)."""
        repo = open_repository()
        active = _active_component(repo, kind)
        if name is None:
            if active is None:
                raise UserError(
                    f"The active stack has no {label}; name one: stackyard {kind.cli_name} describe NAME."
                )
            name = active
        record = repo.get_stack_component(kind, name)
        stacks = repo.store.stacks_using(kind, name)
        installed = record.flavor in _available_flavors(repo, kind)
        if output_format != "table":
            data = _record_data(record, name == active, installed)
            data["stacks"] = stacks
            output.print_data(data, output_format)
            return
        rows = [
            ["NAME", record.name],
            ["FLAVOR", record.flavor if installed else f"{record.flavor} — {unavailable_flavor_note(record)}"],
            ["PACKAGE", record.package or "custom"],
            ["UUID", record.uuid],
            *([key.upper(), _format_value(value)] for key, value in record.config.items()),
            ["STACKS", ", ".join(stacks)],
        ]
        state = " (ACTIVE)" if name == active else ""
        output.print_table(["PROPERTY", "VALUE"], rows, title=f"{title} '{name}'{state}", wrap={"VALUE"})

    describe.help = f"Show {kind.with_article} (default: the one in the active stack)."

    @group.command(context_settings=_EXTRA_ARGS)
    @click.argument("name", shell_complete=complete_names)
    @click.argument("parameters", nargs=-1, type=click.UNPROCESSED)
    def update(name: str, parameters: tuple[str, ...]) -> None:
        """Change parameters of NAME (--key=value ...)."""
        config = parse_parameters(parameters)
        if not config:
            raise click.UsageError("Give at least one parameter to change, as --key=value.")
        repo = open_repository()
        repo.update_stack_component(kind, name, config)
        output.success(f"{title} '{name}' successfully updated!")

    update.help = f"Change parameters of {kind.with_article} NAME (--key=value ...)."

    @group.command(name="remove-attribute")
    @click.argument("name", shell_complete=complete_names)
    @click.argument("keys", nargs=-1, required=True)
    def remove_attribute(name: str, keys: tuple[str, ...]) -> None:
        """Unset optional parameters KEYS of NAME (they return to their defaults)."""
        names = [key.lstrip("-").replace("-", "_") for key in keys]
        repo = open_repository()
        component = repo.update_stack_component(kind, name, remove=names)
        values = ", ".join(f"{key}={_format_value(component.config.get(key))}" for key in names)
        output.success(f"Removed from {label} '{name}': now {values} (the defaults).")

    remove_attribute.help = f"Reset optional parameters KEYS of {kind.with_article} NAME to their defaults."

    @group.command()
    @click.argument("old", shell_complete=complete_names)
    @click.argument("new")
    def rename(old: str, new: str) -> None:
        """Rename OLD to NEW; the stacks that use it follow."""
        repo = open_repository()
        repo.rename_stack_component(kind, old, new)
        output.success(f"{title} '{old}' renamed to '{new}'.")

    @group.command()
    @click.argument("name", shell_complete=complete_names)
    def delete(name: str) -> None:
        """Delete NAME if no stack uses it."""
        repo = open_repository()
        repo.deregister_stack_component(kind, name)
        output.success(f"{title} '{name}' deleted.")

    delete.help = f"Delete {kind.with_article} NAME if no stack uses it."
    group.add_command(_flavor_group(kind))
    return group


def _flavor_group(kind: StackComponentType) -> click.Group:
    label = kind.display_name
    complete_flavors = flavor_completer(kind.value)

    @click.group(name="flavor")
    def flavor() -> None:
        pass

    flavor.help = f"List, describe and register {label} flavors."

    @flavor.command(name="list")
    @output.output_option
    def list_flavors(output_format: str) -> None:
        """List the installed and custom flavors of this type."""
        repo = open_repository()
        flavors = repo.get_flavors(kind)
        _warn_plugin_problems(kind)
        if output_format != "table":
            output.print_data([_flavor_data(f) for f in flavors], output_format)
            return
        rows = [[f.name, f.package_label, f.description] for f in flavors]
        output.print_table(["FLAVOR", "PACKAGE", "DESCRIPTION"], rows, shrinkable={"DESCRIPTION"})

    list_flavors.help = f"List the installed and custom {label} flavors."

    @flavor.command()
    @click.argument("name", shell_complete=complete_flavors)
    @output.output_option
    def describe(name: str, output_format: str) -> None:
        """Show a flavor and every parameter: type, default, whether required."""
        repo = open_repository()
        item = repo.get_flavor(kind, name)
        data = _flavor_data(item)
        params = data["parameters"] = [
            {
                "name": p.name,
                "type": p.type_name,
                "required": p.required,
                "default": None if p.required else _plain(p.default),
                "description": p.doc,
            }
            for p in item.parameters.values()
        ]
        if output_format != "table":
            output.print_data(data, output_format)
            return
        output.echo(f"{label[0].upper() + label[1:]} flavor '{item.name}' from {item.package_label} ({item.source})")
        if item.description:
            output.echo(item.description)
        rows = [
            [
                p["name"],
                p["type"],
                "" if p["required"] else _format_value(p["default"]),
                "yes" if p["required"] else "no",
                p["description"],
            ]
            for p in params
        ]
        output.print_table(
            ["PARAMETER", "TYPE", "DEFAULT", "REQUIRED", "DESCRIPTION"],
            rows,
            shrinkable={"DEFAULT", "DESCRIPTION"},
        )

    describe.help = f"Show {kind.with_article} flavor and every parameter: type, default, whether required."

    @flavor.command()
    @click.argument("source")
    def register(source: str) -> None:
        """Register a flavor class by import path (package.module.Class) in the active profile."""
        repo = open_repository()
        item = repo.register_flavor(source, kind)
        output.success(f"Registered {label} flavor '{item.name}' from {source}.")

    register.help = (
        f"Register {kind.with_article} flavor by the import path of its class (package.module.Class), "
        "in the active profile."
    )

    @flavor.command(name="delete")
    @click.argument("name", shell_complete=complete_flavors)
    def delete_flavor(name: str) -> None:
        """Forget a custom flavor of the active profile (refused while components use it)."""
        repo = open_repository()
        repo.deregister_flavor(kind, name)
        output.success(f"Custom {label} flavor '{name}' deleted.")

    delete_flavor.help = (
        f"Forget a custom {label} flavor of the active profile; installed flavors go with their package."
    )
    return flavor


# -- helpers -------------------------------------------------------------------


def _active_component(repo: Repository, kind: StackComponentType) -> str | None:
    try:
        return repo.store.get_stack(repo.active_stack_name).components.get(kind)
    except Exception:  # noqa: BLE001 - no active stack: nothing is marked
        return None


def _available_flavors(repo: Repository, kind: StackComponentType) -> set[str]:
    """Names of the flavors installed or registered in the profile (without importing custom ones)."""
    from stackyard.plugins import get_registry

    return {f.name for f in get_registry(repo.config_directory / "cache").flavors(kind)} | set(repo.store.custom_flavors(kind))


def _record_data(record: ComponentRecord, active: bool, installed: bool) -> dict[str, Any]:
    data = record.to_dict()
    data["active"] = active
    data["flavor_installed"] = installed
    if not installed:
        data["flavor_missing"] = unavailable_flavor_note(record)
    return data


def _flavor_data(item: Flavor) -> dict[str, Any]:
    return {
        "name": item.name,
        "type": item.type.value,
        "package": item.package,
        "version": item.version,
        "source": item.source,
        "description": item.description,
    }


def _plain(value: Any) -> Any:
    from stackyard.serialization import unstructure_value

    try:
        return unstructure_value(value)
    except Exception:  # noqa: BLE001 - an exotic default is shown as text
        return str(value)


def _format_value(value: Any) -> str:
    """A configuration value as it would be typed on the command line (JSON for non-strings)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _warn_plugin_problems(kind: StackComponentType) -> None:
    from stackyard.plugins import get_registry
    from stackyard.profiles import config_dir

    registry = get_registry(config_dir() / "cache")
    for plugin in registry.plugins:
        if plugin.status == "failed":
            output.warning(
                f"Plugin '{plugin.name}' ({plugin.package} {plugin.version}) failed: {(plugin.error or '').rstrip('.')}. "
                "Its flavors may be missing (see stackyard plugin list)."
            )
    for conflict in registry.conflicts:
        if conflict.type is kind:
            output.warning(str(conflict))
