"""``stackyard profile``: isolated sets of stacks, components and custom flavors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from stackyard.profiles import STORE_TYPES
from stackyard_cli import output
from stackyard_cli.completion import complete_profiles
from stackyard_cli.group import Group
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render

if TYPE_CHECKING:
    from stackyard.profiles import Profile
    from stackyard.repository import Repository


@click.group(cls=Group)
def profile() -> None:
    """Create, list and activate profiles.

    A profile is an isolated store of stacks, stack components and custom
    flavors. The active one is chosen by STACKYARD_PROFILE, else by the
    repository around the current folder, else globally.
    """


@profile.command()
@click.argument("name")
@click.option(
    "--store-type", "-t", type=click.Choice(STORE_TYPES), default="local", show_default=True,
    help="Where the profile keeps its stacks.",
)
@click.option("--url", help="Location of the store (default: a folder in the global config directory).")
def create(name: str, store_type: str, url: str | None) -> None:
    """Create a profile NAME with its own default stack."""
    repo = open_repository()
    repo.create_profile(name, store_type, url)
    output.success(f"Profile '{name}' successfully created.")


@profile.command(name="list")
@output.output_option
def list_profiles(output_format: str) -> None:
    """List all profiles; 👉 marks the active one."""
    repo = open_repository()
    active = repo.active_profile_name
    data = [_profile_data(repo, p, p.name == active) for p in repo.get_profiles()]
    columns = [
        Column("PROFILE NAME", "name"),
        Column("STORE TYPE", "store_type"),
        Column("URL", "url", shrink=True),
        Column("ACTIVE STACK", "active_stack_name"),
    ]
    render(data, output_format, View(columns, active=True))


@profile.command()
@click.argument("name", required=False, shell_complete=complete_profiles)
@output.output_option
def describe(name: str | None, output_format: str) -> None:
    """Show a profile's settings (default: the active profile)."""
    repo = open_repository()
    active = repo.active_profile_name
    item = repo.get_profile(name or active)
    data = _profile_data(repo, item, item.name == active)
    columns = [
        Column("NAME", "name"),
        Column("STORE TYPE", "store_type"),
        Column("URL", "url"),
        Column("ACTIVE STACK", "active_stack_name"),
    ]
    state = " (ACTIVE)" if data["active"] else ""
    render(data, output_format, View(columns, transposed=True, title=f"Profile '{item.name}'{state}"))


@profile.command(name="set")
@click.argument("name", shell_complete=complete_profiles)
@click.option("--global", "globally", is_flag=True, help="Change the global setting even inside a repository.")
def set_profile(name: str, globally: bool) -> None:
    """Activate profile NAME (in the repository if inside one, else globally)."""
    repo = open_repository()
    repo.activate_profile(name, globally=globally)
    where = "Global active profile" if globally and repo.root else "Active profile"
    output.success(f"{where} changed to: '{name}'")
    _warn_if_overridden(name)


@profile.command()
def get() -> None:
    """Print the name of the active profile."""
    repo = open_repository()
    output.echo(f"Active profile: '{repo.active_profile_name}'")


@profile.command()
@click.argument("name", shell_complete=complete_profiles)
def delete(name: str) -> None:
    """Delete profile NAME with all its stacks and components (not an active one)."""
    repo = open_repository()
    repo.delete_profile(name)
    output.success(f"Profile '{name}' deleted.")


def _profile_data(repo: Repository, item: Profile, active: bool) -> dict[str, Any]:
    data: dict[str, Any] = item.to_dict()
    if active:  # the stack active here, which a repository or STACKYARD_STACK may choose
        from stackyard.repository import STACK_ENV

        if os.environ.get(STACK_ENV):  # one that does not exist is an error, as in every command
            data["active_stack_name"] = repo.active_stack_name
        else:
            try:
                data["active_stack_name"] = repo.active_stack_name
            except Exception:  # noqa: BLE001 - a profile without an active stack still lists
                pass
    data["active"] = active
    return data


def _warn_if_overridden(name: str) -> None:
    from stackyard.repository import PROFILE_ENV

    env = os.environ.get(PROFILE_ENV)
    if env and env != name:
        output.warning(f"{PROFILE_ENV}={env} overrides this setting in the current shell; unset it to use '{name}'.")
