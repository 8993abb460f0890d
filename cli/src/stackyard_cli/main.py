"""Entry point of the ``stackyard`` command.

Only click and this package's small helpers are imported here; every command
module is loaded when its command runs (see :mod:`stackyard_cli.lazy`).
"""

from __future__ import annotations

from typing import Any

import click

from stackyard_cli import __version__
from stackyard_cli.lazy import LazyCommand, LazyGroup

_COMMANDS = "stackyard_cli.commands"

COMPONENT_TYPES = (
    ("orchestrator", "orchestrators"),
    ("artifact-store", "artifact stores"),
    ("metadata-store", "metadata stores"),
    ("container-registry", "container registries"),
    ("secrets-manager", "secrets managers"),
    ("step-operator", "step operators"),
    ("model-deployer", "model deployers"),
    ("feature-store", "feature stores"),
    ("experiment-tracker", "experiment trackers"),
    ("alerter", "alerters"),
)
"""``StackComponentType`` spelled out, so that ``--help`` need not import the core (a test keeps them equal)."""

COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(f"{_COMMANDS}.repository", "init", "Make a folder a Stackyard repository."),
    "clean": LazyCommand(f"{_COMMANDS}.repository", "clean", "Remove this folder's Stackyard repository."),
    "profile": LazyCommand(f"{_COMMANDS}.profile", "profile", "Create, list and activate profiles."),
    "stack": LazyCommand(f"{_COMMANDS}.stack", "stack", "Register, list, activate and share stacks."),
    "flavor": LazyCommand(f"{_COMMANDS}.flavor", "flavor", "List the flavors of every component type."),
    "plugin": LazyCommand(f"{_COMMANDS}.plugin", "plugin", "List, install and uninstall flavor packages; start a new one."),
    "pipeline": LazyCommand(f"{_COMMANDS}.pipeline", "pipeline", "Run and inspect pipelines."),
    "secret": LazyCommand(f"{_COMMANDS}.secret", "secret", "Register and manage secrets of the active stack."),
    **{
        name: LazyCommand(f"{_COMMANDS}.component", "component_group", f"Manage {plural} and their flavors.", (name,))
        for name, plural in COMPONENT_TYPES
    },
}


INTERRUPTED_EXIT_CODE = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells use."""


class RootGroup(LazyGroup):
    """The ``stackyard`` group: shows core logs and turns errors into one clean line."""

    def invoke(self, ctx: click.Context) -> Any:
        from stackyard_cli.errors import debug_enabled, to_user_error, unexpected_error
        from stackyard_cli.session import showing_logs

        with showing_logs(debug=debug_enabled()):
            try:
                return super().invoke(ctx)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except KeyboardInterrupt:  # Ctrl-C: the shell's convention, not click's "Aborted!" and 1
                click.echo("\nInterrupted.", err=True)
                raise click.exceptions.Exit(INTERRUPTED_EXIT_CODE) from None
            except Exception as exc:
                error = to_user_error(exc) or unexpected_error(exc)
                raise error from exc


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import stackyard

    click.echo(f"stackyard-core {stackyard.__version__}")
    click.echo(f"stackyard-cli {__version__}")
    seen = set()
    for plugin in stackyard.Repository().get_plugins():
        if plugin.package not in seen:
            seen.add(plugin.package)
            click.echo(f"{plugin.package} {plugin.version}")
    ctx.exit()


def _no_plugins(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value:
        return
    import os

    previous = os.environ.get("STACKYARD_DISABLE_PLUGINS")
    os.environ["STACKYARD_DISABLE_PLUGINS"] = "*"  # every plugin but the built-in stackyard-local

    def restore() -> None:
        if previous is None:
            os.environ.pop("STACKYARD_DISABLE_PLUGINS", None)
        else:
            os.environ["STACKYARD_DISABLE_PLUGINS"] = previous

    ctx.call_on_close(restore)


@click.group(
    cls=RootGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the versions of stackyard and its plugin packages.",
)
@click.option(
    "--no-plugins",
    is_flag=True,
    expose_value=False,
    is_eager=True,  # before --help, which lists plugin commands
    callback=_no_plugins,
    help="Load no plugin but the built-in local flavors (to rule out a misbehaving plugin).",
)
def cli() -> None:
    """Stackyard: stacks of pluggable MLOps components, and pipelines that run on them.

    Every command that reads the configuration first says which profile it
    uses. Set STACKYARD_DEBUG=1 to see tracebacks; NO_COLOR=1 for plain text.
    """


def main() -> None:
    """Run the CLI."""
    import gc

    gc.freeze()  # what is imported so far lives as long as the process: collections need not walk it
    cli(prog_name="stackyard")
