"""The hook that adds ``stackyard dashboard`` to the CLI (imported by plugin discovery: keep it cheap)."""

from __future__ import annotations

from stackyard import hookimpl
from stackyard.plugins import CliCommand


@hookimpl
def stackyard_cli_commands() -> list[CliCommand]:
    return [
        CliCommand(
            name="dashboard",
            source="stackyard_dashboard.cli:dashboard",
            help="Serve a read-only web dashboard of the active profile's stacks and runs.",
        )
    ]
