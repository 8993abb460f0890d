"""``stackyard init`` and ``stackyard clean``: creating and removing a repository."""

from __future__ import annotations

import click

from stackyard_cli import output
from stackyard_cli.errors import UserError


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
def init(path: str | None) -> None:
    """Make PATH (default: the current folder) a Stackyard repository.

    The repository pins the active profile and stack for everything run from
    PATH or its subfolders; they start as the ones active right now.
    """
    from stackyard.repository import Repository

    repo = Repository.initialize(path)
    output.success(f"Stackyard repository initialized at {repo.root}.")
    output.echo(
        f"The local active profile was initialized to '{repo.active_profile_name}' and the local "
        f"active stack to '{repo.active_stack_name}'. This local configuration will only take "
        "effect when you're running Stackyard from the initialized repository root, or from a "
        "subdirectory. Change them with stackyard profile set / stackyard stack set."
    )


@click.command()
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def clean(yes: bool) -> None:
    """Remove the Stackyard repository around the current folder.

    Only its .stackyard folder (the local active profile and stack) is
    deleted; profiles, stacks and components are global and stay.
    """
    import shutil

    from stackyard.repository import REPOSITORY_DIR, Repository

    root = Repository.find_repository()
    if root is None:
        raise UserError(
            "No Stackyard repository in the current folder or any parent folder; nothing to clean."
        )
    if not yes:
        click.confirm(
            f"Remove the Stackyard repository at {root} (its {REPOSITORY_DIR} folder)?",
            abort=True,
        )
    shutil.rmtree(root / REPOSITORY_DIR)
    output.success(f"Removed the Stackyard repository at {root}.")
