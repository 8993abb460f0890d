"""Turning errors into one clean line and an exit code.

User errors (every :class:`stackyard.exceptions.StackyardError`, file system
errors, and :class:`UserError` raised by commands) exit with 1; click's usage
errors exit with 2. ``STACKYARD_DEBUG=1`` adds the traceback.
"""

from __future__ import annotations

import os
from typing import IO, Any

import click

DEBUG_ENV = "STACKYARD_DEBUG"


def debug_enabled() -> bool:
    """Whether ``STACKYARD_DEBUG`` asks for tracebacks and debug logs."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


class UserError(click.ClickException):
    """A problem the user can fix: printed as one ``Error:`` line, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause

    def show(self, file: IO[Any] | None = None) -> None:
        from stackyard_cli.output import print_error

        if debug_enabled():
            import traceback

            error = self.cause or self
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            click.echo(text.rstrip("\n"), err=True)
        print_error(self.format_message())


def to_user_error(exc: BaseException) -> UserError | None:
    """The :class:`UserError` for an exception a user can act on, else ``None``."""
    from stackyard.exceptions import StackyardError

    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, StackyardError):
        return UserError(str(exc), exc)
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return UserError(f"{exc.strerror or exc}{where}", exc)
    return None


def unexpected_error(exc: BaseException) -> UserError:
    """A bug: still one line, pointing at ``STACKYARD_DEBUG`` for the traceback."""
    hint = "" if debug_enabled() else f" (set {DEBUG_ENV}=1 to see the traceback)"
    return UserError(f"Unexpected {type(exc).__name__}: {exc}{hint}", exc)
