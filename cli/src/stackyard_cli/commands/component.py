"""``stackyard <component-type>``: one command group per stack component type.

The commands — ``register``, ``list``, ``describe``, ``update``,
``remove-attribute``, ``rename``, ``delete`` and the ``flavor`` subgroup — are
defined once; ``component_group("artifact_store")`` only wraps them in a
:class:`ComponentGroup` carrying the type, which each command reads from its
click context. Help texts name the type through ``{a_type}``-style fields.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import click

from stackyard.enums import StackComponentType
from stackyard_cli import output
from stackyard_cli.completion import component_completer, flavor_completer
from stackyard_cli.errors import UserError
from stackyard_cli.group import Group
from stackyard_cli.params import ParameterCommand, parse_parameters
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, Record, View, render

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stackyard.plugins import Flavor
    from stackyard.records import ComponentRecord
    from stackyard.repository import Repository


def component_group(type_value: str) -> click.Group:
    """The command group of one stack component type."""
    kind = StackComponentType.parse(type_value)
    group = ComponentGroup(kind, name=kind.cli_name, commands=COMMANDS, help=_fill(GROUP_HELP, kind))
    if kind is StackComponentType.METADATA_STORE:
        from stackyard_cli.commands.metadata_store import copy_runs

        group.add_command(copy_runs)
    elif kind is StackComponentType.MODEL_DEPLOYER:  # its servers: stackyard model-deployer models ...
        from stackyard_cli.commands.models import models

        group.add_command(models)
    return group


class TypedGroup(Group):
    """A group of commands shared by every component type; hands them out with help naming the type."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None or command.help is None:
            return command
        named = copy.copy(command)
        named.help = _fill(command.help, component_type(ctx))
        return named


class ComponentGroup(TypedGroup):
    """``stackyard artifact-store`` and its siblings: the shared commands, for one ``component_type``."""

    def __init__(self, component_type: StackComponentType, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.component_type = component_type


def component_type(ctx: click.Context) -> StackComponentType:
    """The component type of the :class:`ComponentGroup` a command runs under."""
    current: click.Context | None = ctx
    while current is not None:
        if isinstance(current.command, ComponentGroup):
            return current.command.component_type
        current = current.parent
    raise RuntimeError(f"'{ctx.command_path}' runs outside a component type's group")


def _fill(text: str, kind: StackComponentType) -> str:
    label = kind.display_name
    return text.format(
        type=label,
        Type=label[0].upper() + label[1:],
        a_type=kind.with_article,
        types=kind.plural.replace("_", " "),
        cli=kind.cli_name,
    )


def _kind() -> StackComponentType:
    return component_type(click.get_current_context())


def _complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return component_completer(component_type(ctx).value)(ctx, param, incomplete)


def _complete_flavors(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return flavor_completer(component_type(ctx).value)(ctx, param, incomplete)


GROUP_HELP = (
    "Register, list and configure {types}, and list their flavors.\n\n"
    "Parameters of a flavor are given as --key=value (or --key value); see "
    "stackyard {cli} flavor describe FLAVOR."
)


# -- components ------------------------------------------------------------------


@click.command(cls=ParameterCommand)
@click.argument("name")
@click.option("--flavor", "-f", "flavor_name", metavar="FLAVOR", required=True,
              shell_complete=_complete_flavors, help="The flavor to use (see: flavor list).")
@click.argument("parameters", nargs=-1, type=click.UNPROCESSED)
def register(name: str, flavor_name: str, parameters: tuple[str, ...]) -> None:
    """Register {a_type} NAME of a FLAVOR.

    Give the flavor's parameters as --key=value or --key value; see them with
    stackyard {cli} flavor describe FLAVOR.
    """
    kind = _kind()
    config = parse_parameters(parameters)
    repo = open_repository()
    repo.register_stack_component_from_config(kind, name, flavor_name, config)
    output.success(_fill("{Type}", kind) + f" '{name}' successfully registered!")


@click.command(name="list")
@output.output_option
def list_components(output_format: str) -> None:
    """List the {types}; 👉 marks the one in the active stack."""
    kind = _kind()
    repo = open_repository()
    active = repo.active_component_name(kind)
    sensitive: dict[str, frozenset[str]] = {}
    data = [_record_data(repo, r, r.name == active, sensitive) for r in repo.get_component_records(kind)]
    keys = sorted({key for r in data for key in r["config"]})
    columns = [
        Column("NAME", "name"),
        Column("FLAVOR", _flavor_cell),
        Column("UUID", "uuid", shrink=True),
        *(_config_column(key, shrink=True) for key in keys),
    ]
    empty = _fill(
        "No {types} are registered in this profile. Register one with: stackyard {cli} register NAME "
        "--flavor=FLAVOR (flavors: stackyard {cli} flavor list).",
        kind,
    )
    render(data, output_format, View(columns, active=True, empty=empty))


@click.command()
@click.argument("name", required=False, shell_complete=_complete_names)
@output.output_option
def describe(name: str | None, output_format: str) -> None:
    """Show {a_type} (default: the one in the active stack)."""
    kind = _kind()
    repo = open_repository()
    active = repo.active_component_name(kind)
    if name is None:
        if active is None:
            raise UserError(
                f"The active stack has no {kind.display_name}; name one: stackyard {kind.cli_name} describe NAME."
            )
        name = active
    data = _record_data(repo, repo.get_component_record(kind, name), name == active, {})
    data["stacks"] = repo.stacks_using(kind, name)
    columns = [
        Column("NAME", "name"),
        Column("FLAVOR", _flavor_cell),
        Column("PACKAGE", lambda d: d.get("package") or "custom"),
        Column("UUID", "uuid"),
        *(_config_column(key) for key in data["config"]),
        Column("STACKS", lambda d: ", ".join(d["stacks"])),
    ]
    state = " (ACTIVE)" if name == active else ""
    title = _fill("{Type}", kind) + f" '{name}'{state}"
    render(data, output_format, View(columns, transposed=True, title=title))


@click.command(cls=ParameterCommand)
@click.argument("name", shell_complete=_complete_names)
@click.argument("parameters", nargs=-1, type=click.UNPROCESSED)
def update(name: str, parameters: tuple[str, ...]) -> None:
    """Change parameters of {a_type} NAME (--key=value ...)."""
    kind = _kind()
    config = parse_parameters(parameters)
    if not config:
        raise click.UsageError("Give at least one parameter to change, as --key=value.")
    repo = open_repository()
    repo.update_stack_component(kind, name, config)
    output.success(_fill("{Type}", kind) + f" '{name}' successfully updated!")


@click.command(name="remove-attribute")
@click.argument("name", shell_complete=_complete_names)
@click.argument("keys", nargs=-1, required=True)
def remove_attribute(name: str, keys: tuple[str, ...]) -> None:
    """Reset optional parameters KEYS of {a_type} NAME to their defaults."""
    kind = _kind()
    names = [key.lstrip("-").replace("-", "_") for key in keys]
    repo = open_repository()
    component = repo.update_stack_component(kind, name, remove=names)
    values = ", ".join(f"{key}={_format_value(component.config.get(key))}" for key in names)
    output.success(f"Removed from {kind.display_name} '{name}': now {values} (the defaults).")


@click.command()
@click.argument("old", shell_complete=_complete_names)
@click.argument("new")
def rename(old: str, new: str) -> None:
    """Rename OLD to NEW; the stacks that use it follow."""
    kind = _kind()
    repo = open_repository()
    repo.rename_stack_component(kind, old, new)
    output.success(_fill("{Type}", kind) + f" '{old}' renamed to '{new}'.")


@click.command()
@click.argument("name", shell_complete=_complete_names)
def delete(name: str) -> None:
    """Delete {a_type} NAME if no stack uses it."""
    kind = _kind()
    repo = open_repository()
    repo.deregister_stack_component(kind, name)
    output.success(_fill("{Type}", kind) + f" '{name}' deleted.")


# -- flavors ---------------------------------------------------------------------


@click.group(cls=TypedGroup, name="flavor")
def flavor() -> None:
    """List, describe and register {type} flavors."""


@flavor.command(name="list")
@output.output_option
def list_flavors(output_format: str) -> None:
    """List the installed and custom {type} flavors."""
    kind = _kind()
    repo = open_repository()
    data = [_flavor_data(f) for f in repo.get_flavors(kind)]
    _warn_plugin_problems(repo, [kind])
    columns = [Column("FLAVOR", "name"), Column("PACKAGE", _package_label), Column("DESCRIPTION", "description", shrink=True)]
    render(data, output_format, View(columns, empty=no_flavors_hint(kind)))


@flavor.command(name="describe")
@click.argument("name", shell_complete=_complete_flavors)
@output.output_option
def describe_flavor(name: str, output_format: str) -> None:
    """Show {a_type} flavor and every parameter: type, default, whether required."""
    kind = _kind()
    repo = open_repository()
    item = repo.get_flavor(kind, name)
    data = _flavor_data(item)
    heading = [_fill("{Type}", kind) + f" flavor '{item.name}' from {_package_label(data)} ({item.source})"]
    if item.description:
        heading.append(item.description)
    data["parameters"] = [
        {
            "name": p.name,
            "type": p.type_name,
            "required": p.required,
            "default": None if p.required else _plain(p.default),
            "description": p.doc,
            "sensitive": p.secret,
        }
        for p in item.parameters.values()
    ]
    if any(p["sensitive"] for p in data["parameters"]):
        from stackyard.secrets import reference_example

        example = next(p["name"] for p in data["parameters"] if p["sensitive"])
        heading.append(
            "Sensitive parameters take a secret reference, never a plain value: "
            f"--{example}={reference_example(key=example)} (see stackyard secret register)."
        )
    columns = [
        Column("PARAMETER", "name"),
        Column("TYPE", lambda p: f"{p['type']} (sensitive)" if p["sensitive"] else p["type"]),
        Column("DEFAULT", lambda p: "" if p["required"] else _format_value(p["default"]), shrink=True),
        Column("REQUIRED", lambda p: "yes" if p["required"] else "no"),
        Column("DESCRIPTION", "description", shrink=True),
    ]
    render(data, output_format, View(columns, rows=lambda d: d["parameters"], heading=heading))


@flavor.command(name="register")
@click.argument("source")
def register_flavor(source: str) -> None:
    """Register {a_type} flavor by the import path of its class (package.module.Class), in the active profile."""
    kind = _kind()
    repo = open_repository()
    item = repo.register_flavor(source, kind)
    output.success(f"Registered {kind.display_name} flavor '{item.name}' from {source}.")


@flavor.command(name="delete")
@click.argument("name", shell_complete=_complete_flavors)
def delete_flavor(name: str) -> None:
    """Forget a custom {type} flavor of the active profile; installed flavors go with their package."""
    kind = _kind()
    repo = open_repository()
    repo.deregister_flavor(kind, name)
    output.success(f"Custom {kind.display_name} flavor '{name}' deleted.")


COMMANDS: tuple[click.Command, ...] = (
    register, list_components, describe, update, remove_attribute, rename, delete, flavor,
)
"""The commands of every component type's group."""


# -- records and cells -------------------------------------------------------------


def _record_data(
    repo: Repository, record: ComponentRecord, active: bool, sensitive: dict[str, frozenset[str]]
) -> dict[str, Any]:
    """A component's data for list and describe; plain values of sensitive parameters masked
    (``sensitive`` caches each flavor's sensitive parameter names)."""
    from stackyard.secrets import masked_config, sensitive_parameters

    data = record.to_dict()
    if record.flavor not in sensitive:
        sensitive[record.flavor] = sensitive_parameters(repo, record.type, record.flavor)
    data["config"] = masked_config(data["config"], sensitive[record.flavor])
    note = repo.flavor_note(record)
    data["active"] = active
    data["flavor_installed"] = note is None
    if note is not None:
        data["flavor_missing"] = note
    return data


def _flavor_cell(data: Record) -> str:
    note = data.get("flavor_missing")
    return f"{data['flavor']} — {note}" if note else str(data["flavor"])


def _config_column(key: str, shrink: bool = False) -> Column:
    return Column(
        key.upper(),
        lambda d: _format_value(d["config"][key]) if key in d["config"] else "",
        shrink=shrink,
    )


def _flavor_data(item: Flavor) -> dict[str, Any]:
    return {
        "name": item.name,
        "type": item.type.value,
        "package": item.package,
        "version": item.version,
        "source": item.source,
        "description": item.description,
    }


def _package_label(data: Record) -> str:
    """``package version``, or just the package (``custom``) without a version."""
    return f"{data['package']} {data['version']}" if data.get("version") else str(data["package"])


def _plain(value: Any) -> Any:
    from stackyard.serialization import unstructure_value

    try:
        return unstructure_value(value)
    except Exception:  # noqa: BLE001 - an exotic default is shown as text
        return str(value)


def _format_value(value: Any) -> str:
    """A configuration value as it would be typed on the command line (JSON for lists and tables).

    ``None`` reads ``None``, as in the TYPE column (``str | None``) and in run
    parameters; only ``--output json`` writes it as ``null``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "None"
    return json.dumps(value, default=str)


def no_flavors_hint(kind: StackComponentType | None = None) -> str:
    """What to do when no flavor (of ``kind``) is installed."""
    what = f"{kind.display_name} flavors" if kind else "flavors"
    return (
        f"No {what} are installed. Install a package that provides one (pip install PACKAGE), "
        "see what is installed with stackyard plugin list, or write one: stackyard plugin new NAME --type TYPE."
    )


def _warn_plugin_problems(repo: Repository, kinds: Sequence[StackComponentType]) -> None:
    """Warn of failed plugins and of clashing flavors of ``kinds``, type by type."""
    for plugin in repo.get_plugins():
        if plugin.status == "failed":
            output.warning(
                f"Plugin '{plugin.name}' ({plugin.package} {plugin.version}) failed: {(plugin.error or '').rstrip('.')}. "
                "Its flavors may be missing (see stackyard plugin list)."
            )
    conflicts = repo.get_flavor_conflicts()
    for kind in kinds:
        for conflict in conflicts:
            if conflict.type is kind:
                output.warning(str(conflict))
