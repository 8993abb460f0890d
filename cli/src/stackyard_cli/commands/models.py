"""``stackyard model-deployer models``: the servers a model deployer started.

``list``, ``describe``, ``logs``, ``stop`` and ``delete`` work for every
model deployer flavor through the base class's methods
(:class:`stackyard.model_deployers.BaseModelDeployer`). They use the active
stack's model deployer, or the one named with ``--deployer``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

from stackyard_cli import output
from stackyard_cli.errors import UserError
from stackyard_cli.session import open_repository
from stackyard_cli.views import Column, View, render

if TYPE_CHECKING:
    from stackyard.model_deployers import BaseModelDeployer

_KIND = "model_deployer"

deployer_option = click.option(
    "--deployer", "-d", "deployer_name", metavar="NAME",
    help="The model deployer to use (default: the active stack's).",
)


def _deployer(name: str | None) -> BaseModelDeployer:
    from stackyard.model_deployers import BaseModelDeployer

    repo = open_repository()
    if name is None:
        name = repo.active_component_name(_KIND)
        if name is None:
            raise UserError(
                f"The active stack '{repo.active_stack_name}' has no model deployer; name one with --deployer NAME, "
                f"or add one: stackyard stack update {repo.active_stack_name} --model-deployer NAME"
            )
    component = repo.get_stack_component(_KIND, name)
    assert isinstance(component, BaseModelDeployer)
    return component


def _created(server: dict[str, Any]) -> str:
    created = server.get("created")
    if not isinstance(created, (int, float)):
        return ""
    return datetime.fromtimestamp(created, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@click.group(name="models")
def models() -> None:
    """List, inspect, stop and delete the model servers of a model deployer."""


@models.command(name="list")
@deployer_option
@click.option("--pipeline", "pipeline_name", metavar="NAME", help="Only the servers this pipeline deployed.")
@output.output_option
def list_servers(deployer_name: str | None, pipeline_name: str | None, output_format: str) -> None:
    """List the model servers, running or stopped."""
    deployer = _deployer(deployer_name)
    criteria = {"pipeline_name": pipeline_name} if pipeline_name else {}
    servers = deployer.find_model_server(**criteria)
    columns = [
        Column("ID", lambda s: str(s["id"])[:8]),
        Column("STATUS", "status"),
        Column("MODEL", "model_name"),
        Column("PIPELINE", lambda s: s.get("pipeline_name") or ""),
        Column("STEP", lambda s: s.get("step_name") or ""),
        Column("URL", "prediction_url"),
        Column("CREATED", _created),
    ]
    render(servers, output_format, View(columns, empty=f"Model deployer '{deployer.name}' has no model servers."))


@models.command()
@click.argument("server_id")
@deployer_option
@output.output_option
def describe(server_id: str, deployer_name: str | None, output_format: str) -> None:
    """Show model server SERVER_ID (an id or its first characters)."""
    deployer = _deployer(deployer_name)
    server = deployer.get_model_server(server_id)
    columns = [Column(key.upper(), _created if key == "created" else key, wrap=True) for key in server]
    render(server, output_format, View(columns, transposed=True, title=f"Model server {server['id']}"))


@models.command()
@click.argument("server_id")
@deployer_option
@click.option("--tail", "-n", type=click.IntRange(min=0), help="Only the last N lines.")
def logs(server_id: str, deployer_name: str | None, tail: int | None) -> None:
    """Print the log of model server SERVER_ID."""
    deployer = _deployer(deployer_name)
    text = deployer.get_logs(server_id, tail=tail)
    if text is None:
        raise UserError(f"Model deployer '{deployer.name}' ({deployer.FLAVOR}) keeps no logs of its servers.")
    click.echo(text, nl=not text.endswith("\n"))


@models.command()
@click.argument("server_id")
@deployer_option
def stop(server_id: str, deployer_name: str | None) -> None:
    """Stop model server SERVER_ID; its record stays (delete forgets it)."""
    deployer = _deployer(deployer_name)
    server = deployer.get_model_server(server_id)
    deployer.stop_model_server(server["id"])
    output.success(f"Model server {server['id']} stopped.")


@models.command()
@click.argument("server_id")
@deployer_option
def delete(server_id: str, deployer_name: str | None) -> None:
    """Stop model server SERVER_ID and forget it."""
    deployer = _deployer(deployer_name)
    server = deployer.get_model_server(server_id)
    deployer.delete_model_server(server["id"])
    output.success(f"Model server {server['id']} deleted.")
