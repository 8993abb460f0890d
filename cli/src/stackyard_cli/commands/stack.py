"""``stackyard stack``: stacks of the active profile."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

from stackyard.enums import StackComponentType
from stackyard_cli import output
from stackyard_cli.completion import complete_stacks, component_completer
from stackyard_cli.errors import UserError
from stackyard_cli.group import Group
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render

T = StackComponentType
COMPONENT_OPTIONS: tuple[tuple[StackComponentType, str], ...] = (
    (T.ORCHESTRATOR, "-o"),
    (T.ARTIFACT_STORE, "-a"),
    (T.METADATA_STORE, "-m"),
    (T.CONTAINER_REGISTRY, "-c"),
    (T.SECRETS_MANAGER, "-x"),
    (T.STEP_OPERATOR, "-s"),
    (T.MODEL_DEPLOYER, "-d"),
    (T.FEATURE_STORE, "-f"),
    (T.EXPERIMENT_TRACKER, "-e"),
    (T.ALERTER, "-al"),
)
"""Each component type's option: ``--artifact-store``/``-a`` and so on."""


def component_options(*, require: bool = False, flags: bool = False) -> Callable[[Any], Any]:
    """Add an option per component type (a component name, or with ``flags`` a switch)."""

    def decorate(function: Any) -> Any:
        for component_type, short in reversed(COMPONENT_OPTIONS):
            label = component_type.display_name
            if flags:
                option = click.option(
                    f"--{component_type.cli_name}", short, component_type.value, is_flag=True,
                    help=f"Remove the {label}.",
                )
            else:
                option = click.option(
                    f"--{component_type.cli_name}", short, component_type.value, metavar="NAME",
                    required=require and component_type.is_required,
                    shell_complete=component_completer(component_type.value),
                    help=f"Name of the {label}.",
                )
            function = option(function)
        return function

    return decorate


def _chosen(values: dict[str, Any]) -> dict[StackComponentType, Any]:
    return {t: values[t.value] for t, _ in COMPONENT_OPTIONS if values.get(t.value)}


@click.group(cls=Group)
def stack() -> None:
    """Register, list, activate and share stacks.

    A stack is one stack component per type: an orchestrator, an artifact
    store and a metadata store at least, plus any optional components.
    """


@stack.command()
@click.argument("name")
@component_options(require=True)
@click.option("--set", "activate", is_flag=True, help="Also make it the active stack.")
def register(name: str, activate: bool, **components: str | None) -> None:
    """Register a stack NAME made of registered stack components."""
    repo = open_repository()
    repo.register_stack_from_names(name, _chosen(components))  # registers no component
    output.success(f"Stack '{name}' successfully registered!")
    if activate:
        repo.activate_stack(name)
        output.success(f"Active stack set to: '{name}'")


@stack.command(name="list")
@output.output_option
def list_stacks(output_format: str) -> None:
    """List the stacks of the active profile; 👉 marks the active one."""
    repo = open_repository()
    active = _active_stack_name(repo)
    data = [
        {"name": name, "active": name == active, "components": dict(sorted((t.value, n) for t, n in c.items()))}
        for name, c in repo.stack_configurations.items()
    ]
    in_use = sorted({t for record in data for t in record["components"]})
    columns = [
        Column("STACK NAME", "name"),
        *(Column(t.upper(), lambda d, t=t: d["components"].get(t, "")) for t in in_use),
    ]
    render(data, output_format, View(columns, active=True))


@stack.command()
@click.argument("name", required=False, shell_complete=complete_stacks)
@output.output_option
def describe(name: str | None, output_format: str) -> None:
    """Show the components of a stack (default: the active stack)."""
    repo = open_repository()
    active = repo.active_stack_name if name is None else _active_stack_name(repo)
    name = name or active
    configuration = repo.get_stack_configuration(name)
    records = [repo.get_component_record(t, n) for t, n in sorted(configuration.items())]
    data = {
        "name": name,
        "active": name == active,
        "components": {r.type.value: {"name": r.name, "flavor": r.flavor} for r in records},
    }
    columns = [
        Column("COMPONENT_TYPE", lambda c: c["type"].upper()),
        Column("COMPONENT_NAME", "name"),
        Column("FLAVOR", "flavor"),
    ]
    state = " (ACTIVE)" if name == active else ""
    view = View(
        columns,
        title=f"Stack '{name}'{state}",
        rows=lambda d: [{"type": t, **c} for t, c in d["components"].items()],
    )
    render(data, output_format, view)


@stack.command(name="set")
@click.argument("name", shell_complete=complete_stacks)
@click.option("--global", "globally", is_flag=True, help="Change the global setting even inside a repository.")
def set_stack(name: str, globally: bool) -> None:
    """Activate stack NAME (in the repository if it chose the profile, else in the profile)."""
    from stackyard.repository import STACK_ENV

    repo = open_repository()
    repo.activate_stack(name, globally=globally)
    where = "Global active stack" if globally and repo.root else "Active stack"
    output.success(f"{where} set to: '{name}'")
    env = os.environ.get(STACK_ENV)
    if env and env != name:
        output.warning(f"{STACK_ENV}={env} overrides this setting in the current shell; unset it to use '{name}'.")


@stack.command()
def get() -> None:
    """Print the name of the active stack."""
    repo = open_repository()
    output.echo(f"Active stack: '{repo.active_stack_name}'")


@stack.command()
@click.argument("name", shell_complete=complete_stacks)
@component_options()
def update(name: str, **components: str | None) -> None:
    """Replace components of stack NAME, or add optional ones."""
    chosen = _chosen(components)
    if not chosen:
        raise click.UsageError("Name at least one component to change, e.g. -a my-store.")
    repo = open_repository()
    repo.update_stack(name, chosen)
    output.success(f"Stack '{name}' successfully updated!")


@stack.command(name="remove-component")
@click.argument("name", shell_complete=complete_stacks)
@component_options(flags=True)
def remove_component(name: str, **flags: bool) -> None:
    """Remove optional components from stack NAME (e.g. -c for the container registry)."""
    chosen = list(_chosen(flags))
    if not chosen:
        raise click.UsageError("Name at least one component type to remove, e.g. -c.")
    required = [t for t in chosen if t.is_required]
    if required:
        names = ", ".join(t.display_name for t in required)
        raise click.UsageError(f"A stack cannot be without its {names}; use stackyard stack update to replace it.")
    repo = open_repository()
    present = repo.get_stack_configuration(name)
    missing = [t for t in chosen if t not in present]
    if missing:
        names = ", ".join(t.display_name for t in missing)
        raise UserError(f"Stack '{name}' has no {names}; nothing was removed.")
    repo.update_stack(name, {t: None for t in chosen})
    removed = ", ".join(f"{t.display_name} '{present[t]}'" for t in chosen)
    output.success(f"Removed the {removed} from stack '{name}'.")


@stack.command()
@click.argument("old", shell_complete=complete_stacks)
@click.argument("new")
def rename(old: str, new: str) -> None:
    """Rename stack OLD to NEW (it stays active where it was)."""
    repo = open_repository()
    repo.rename_stack(old, new)
    output.success(f"Stack '{old}' renamed to '{new}'.")


@stack.command()
@click.argument("source", shell_complete=complete_stacks)
@click.argument("target")
def copy(source: str, target: str) -> None:
    """Register stack TARGET with the same components as SOURCE."""
    repo = open_repository()
    repo.copy_stack(source, target)
    output.success(f"Stack '{source}' copied to '{target}'.")


@stack.command()
@click.argument("name", shell_complete=complete_stacks)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete stack NAME (not the active one); its components stay registered."""
    repo = open_repository()
    if name not in repo.stack_names():
        repo.get_stack_configuration(name)  # not found: says so, with a close match
    repo.check_stack_deletable(name)  # refuse before asking (a damaged file can still be deleted)
    if not yes:
        click.confirm(f"Delete stack '{name}'?", abort=True)
    repo.deregister_stack(name)
    output.success(f"Stack '{name}' deleted.")


@stack.command()
@click.argument("name", shell_complete=complete_stacks)
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
def export(name: str, file: str | None) -> None:
    """Write stack NAME with its components' flavors and configuration as TOML to FILE (or stdout)."""
    from stackyard.stack_export import export_stack_toml

    repo = open_repository()
    text = export_stack_toml(repo, name)
    if file is None or file == "-":
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from stackyard.files import write_text_atomic

    write_text_atomic(Path(file), text)
    output.success(f"Stack '{name}' exported to {file}.")


@stack.command(name="import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
def import_stack(name: str, file: str) -> None:
    """Register stack NAME from a FILE written by stackyard stack export ('-' for stdin).

    Components identical to registered ones are reused; a component whose
    name is taken by a different one is registered under a new name.
    """
    from stackyard.stack_export import NEW, RENAMED, import_stack_toml

    with click.open_file(file, encoding="utf-8") as handle:
        text = handle.read()
    repo = open_repository()
    report = import_stack_toml(repo, name, text, "<stdin>" if file == "-" else file)
    for item in report:
        label = item.type.display_name
        if item.status == RENAMED:
            output.warning(
                f"A different {label} named '{item.exported_name}' already exists; "
                f"imported it as '{item.name}'."
            )
        elif item.status == NEW:
            output.info(f"Imported {label} '{item.name}'.")
        else:
            output.info(f"Reused the identical {label} '{item.name}'.")
    output.success(f"Stack '{name}' successfully imported!")


def _active_stack_name(repo: Any) -> str | None:
    """The active stack's name, ``None`` (with a warning) if the profile's or repository's choice is gone.

    One set through STACKYARD_STACK that does not exist is an error, as in
    every other command: the user asked for it in this shell.
    """
    from stackyard.exceptions import StackyardError
    from stackyard.repository import STACK_ENV

    if os.environ.get(STACK_ENV):
        return str(repo.active_stack_name)
    try:
        return str(repo.active_stack_name)
    except StackyardError as exc:  # listing works even when no stack is active
        output.warning(str(exc))
        return None
