"""``stackyard metadata-store copy``: move run history from one metadata store into another."""

from __future__ import annotations

import click

from stackyard_cli import output
from stackyard_cli.session import open_repository


@click.command(name="copy", short_help="Copy every run of metadata store SOURCE into TARGET.")
@click.argument("source")
@click.argument("target")
def copy_runs(source: str, target: str) -> None:
    """Copy every pipeline, run, step, artifact record, log location and metadata of metadata store SOURCE
    into metadata store TARGET (both registered component names).

    Runs already in TARGET are skipped, so running it again copies only what is new.
    Artifact and log URIs are copied as they are: those on local disk stay readable only on this machine.
    """
    report = open_repository().copy_metadata(source, target)  # errors: one line, by the root group
    for problem in report.problems:
        output.warning(f"Not copied: {problem}")
    if report.local_uris:
        output.warning(
            f"{report.local_uris} artifact or log URIs of the copied runs point at local disk; they were copied as "
            f"they are and can be read only on this machine (or wherever that path is mounted)."
        )
    output.info(
        f"Copied {report.copied} run{'' if report.copied == 1 else 's'} from metadata store '{source}' into '{target}'"
        f" ({report.skipped} already there)."
    )
    if report.problems:
        raise click.exceptions.Exit(1)
