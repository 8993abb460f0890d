"""The configuration a command runs with: the repository, the active-profile line, core logs."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from stackyard_cli import output

if TYPE_CHECKING:
    from stackyard.repository import Repository

LOGGER_NAME = "stackyard"


def open_repository(*, banner: bool = True) -> Repository:
    """The ``Repository`` around the working directory; prints where the settings come from."""
    from stackyard.repository import Repository

    repo = Repository()
    if banner:
        print_banner(repo)
    return repo


def print_banner(repo: Repository) -> None:
    """``Running with active profile: 'NAME' (local|global|environment)``, plus a hint outside a repository."""
    from stackyard.repository import REPOSITORY_PATH_ENV

    name = repo.active_profile_name  # first use: creates the default profile (and logs it)
    source = repo.active_profile_source
    if repo.root is None:
        env = os.environ.get(REPOSITORY_PATH_ENV)
        if env:
            output.warning(
                f"The environment variable '{REPOSITORY_PATH_ENV}' points to {env}, which is not "
                f"a Stackyard repository. Run stackyard init {env} to create one there, or unset it."
            )
        else:
            output.warning(
                "Unable to find a Stackyard repository in your current working directory "
                f"({os.getcwd()}) or any parent directories. If you want to use an existing "
                "repository which is in a different location, set the environment variable "
                f"'{REPOSITORY_PATH_ENV}'. If you want to create a new repository, run stackyard init."
            )
        output.info("Running without an active repository root.")
    output.info(f"Running with active profile: '{name}' ({source.value})")


# -- core log messages ---------------------------------------------------------


class _EchoHandler(logging.Handler):
    """Shows ``stackyard`` log records as plain lines on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.levelno >= logging.ERROR:
                output.print_error(message)
            elif record.levelno >= logging.WARNING:
                output.warning(message)
            else:
                output.info(message)
        except Exception:  # noqa: BLE001 - logging must never break a command
            self.handleError(record)


@contextlib.contextmanager
def showing_logs(debug: bool = False) -> Iterator[None]:
    """Print the core's INFO messages (DEBUG too if ``debug``) while a command runs."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _EchoHandler()
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
