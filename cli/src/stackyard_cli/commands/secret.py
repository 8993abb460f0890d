"""``stackyard secret``: register, list, show, update and delete secrets in the active stack's secrets manager.

Values are given as ``--KEY=VALUE``; ``--KEY=@FILE`` reads the value from a
file (one trailing newline dropped) and a bare ``--KEY`` prompts for it with
hidden input, so that neither reaches the shell's history. ``--KEY=@@text``
gives the literal value ``@text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from stackyard_cli import output
from stackyard_cli.errors import UserError
from stackyard_cli.group import Group
from stackyard_cli.params import ParameterCommand
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render

if TYPE_CHECKING:
    from stackyard.repository import Repository
    from stackyard.secrets_managers import BaseSecretsManager

VALUES_HELP = (
    "Give values as --KEY=VALUE, --KEY=@FILE (read from a file) or --KEY alone (asked for, hidden), "
    "so that they stay out of your shell history."
)


@click.group(cls=Group)
def secret() -> None:
    """Register, list, show, update and delete secrets of the active stack's secrets manager.

    A component parameter uses a secret as {{secret_name.key}}; it is resolved
    only when the component is used in a run.
    """


@secret.command(cls=ParameterCommand)
@click.argument("name")
@click.argument("values", nargs=-1, type=click.UNPROCESSED)
def register(name: str, values: tuple[str, ...]) -> None:
    """Register secret NAME with its keys and values (--KEY=VALUE, --KEY=@FILE or --KEY to be asked)."""
    parsed = parse_secret_values(values)
    if not parsed:
        raise click.UsageError(f"Give at least one key, e.g. stackyard secret register {name} --password.")
    repo = open_repository()
    manager = active_secrets_manager(repo)
    manager.register_secret(name, parsed)
    output.success(f"Secret '{name}' registered in secrets manager '{manager.name}' (keys: {', '.join(sorted(parsed))}).")


@secret.command(name="list")
@output.output_option
def list_secrets(output_format: str) -> None:
    """List the secrets of the active stack's secrets manager, with their keys (never their values)."""
    repo = open_repository()
    manager = active_secrets_manager(repo)
    data = [{"name": name, "keys": sorted(manager.get_secret(name))} for name in manager.get_all_secret_keys()]
    columns = [Column("SECRET", "name"), Column("KEYS", lambda d: ", ".join(d["keys"]), wrap=True)]
    empty = f"Secrets manager '{manager.name}' holds no secret; add one with: stackyard secret register NAME --KEY"
    render(data, output_format, View(columns, empty=empty))


@secret.command()
@click.argument("name")
@click.option("--reveal", is_flag=True, help="Show the values instead of masking them.")
@output.output_option
def get(name: str, reveal: bool, output_format: str) -> None:
    """Show the keys of secret NAME, values masked unless --reveal."""
    from stackyard.secrets import MASK

    repo = open_repository()
    manager = active_secrets_manager(repo)
    values = manager.get_secret(name)
    data = {"name": name, "values": {key: value if reveal else MASK for key, value in sorted(values.items())}}
    columns = [Column("KEY", "key"), Column("VALUE", "value", wrap=True)]
    view = View(
        columns,
        title=f"Secret '{name}'",
        rows=lambda d: [{"key": k, "value": v} for k, v in d["values"].items()],
    )
    render(data, output_format, view)


@secret.command(cls=ParameterCommand)
@click.argument("name")
@click.argument("values", nargs=-1, type=click.UNPROCESSED)
def update(name: str, values: tuple[str, ...]) -> None:
    """Set keys of secret NAME (--KEY=VALUE, --KEY=@FILE or --KEY to be asked); other keys are kept."""
    parsed = parse_secret_values(values)
    if not parsed:
        raise click.UsageError(f"Give at least one key to set, e.g. stackyard secret update {name} --password.")
    repo = open_repository()
    manager = active_secrets_manager(repo)
    current = manager.get_secret(name)  # missing: says so before asking for anything
    manager.update_secret(name, {**current, **parsed})
    output.success(f"Secret '{name}' updated (keys set: {', '.join(sorted(parsed))}).")


@secret.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete(name: str, yes: bool) -> None:
    """Delete secret NAME."""
    repo = open_repository()
    manager = active_secrets_manager(repo)
    manager.get_secret(name)  # missing: say so before asking
    if not yes:
        click.confirm(f"Delete secret '{name}'?", abort=True)
    manager.delete_secret(name)
    output.success(f"Secret '{name}' deleted.")


def active_secrets_manager(repo: Repository) -> BaseSecretsManager:
    """The active stack's secrets manager, or an error giving the two commands that add the local one."""
    from stackyard.enums import StackComponentType

    stack_name = repo.active_stack_name
    names = repo.get_stack_configuration(stack_name)
    component_name = names.get(StackComponentType.SECRETS_MANAGER)
    if component_name is None:
        path = repo.config_directory / "local_stores" / "secrets" / "secrets.json"
        raise UserError(
            f"The active stack '{stack_name}' has no secrets manager. Add the local one with: "
            f"stackyard secrets-manager register local_secrets --flavor=local --path={_quoted(str(path))} "
            f"&& stackyard stack update {stack_name} -x local_secrets"
        )
    return repo.load_stack_component(StackComponentType.SECRETS_MANAGER, component_name)  # type: ignore[return-value]


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def parse_secret_values(args: Sequence[str]) -> dict[str, str]:
    """``["--user=me", "--password", "--key=@k.pem"]`` → values by key; bare keys are asked for (hidden)."""
    from stackyard.secrets import KEY_PATTERN

    result: dict[str, Any] = {}
    for item in args:
        if not item.startswith("--") or item == "--":
            raise click.UsageError(f"Unexpected argument '{item}'. {VALUES_HELP}")
        key, sep, value = item[2:].partition("=")
        if not KEY_PATTERN.match(key):
            raise click.UsageError(f"Invalid secret key '{key}': use letters, digits, '_' and '-'.")
        if key in result:
            raise click.UsageError(f"The key '--{key}' is given twice.")
        result[key] = _value(key, value) if sep else None
    for key, value in result.items():  # prompts last: every argument is checked before asking
        if value is None:
            result[key] = click.prompt(f"Value for '{key}'", hide_input=True)
    return result


def _value(key: str, value: str) -> str:
    if value.startswith("@@"):
        return value[1:]
    if not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Cannot read the value of '--{key}' from {path}: {exc.strerror or exc}.") from None
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
