"""Entry point of the ``stackyard`` command."""

from __future__ import annotations

import click

from stackyard_cli import __version__


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import stackyard
    from stackyard.plugins import get_registry

    click.echo(f"stackyard-core {stackyard.__version__}")
    click.echo(f"stackyard-cli {__version__}")
    seen = set()
    for plugin in get_registry().plugins:
        if plugin.package not in seen:
            seen.add(plugin.package)
            click.echo(f"{plugin.package} {plugin.version}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the versions of stackyard and its plugin packages.",
)
def cli() -> None:
    """Stackyard: stacks of pluggable MLOps components, and pipelines that run on them."""


def main() -> None:
    """Run the CLI."""
    cli()
