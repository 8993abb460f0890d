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
        return UserError(with_command_hint(exc), exc)
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return UserError(f"{exc.strerror or exc}{where}", exc)
    return None


def with_command_hint(exc: BaseException) -> str:
    """The error's message with the command (and flags) that fixes it, read from the error's data.

    Core messages say what to do in words; only the CLI knows its commands and flags.
    """
    message = str(exc)
    hint = _command_hint(getattr(exc, "details", {}))
    if not hint:
        return message
    return f"{message[:-1] if message.endswith('.') else message} ({hint})."


def _command_hint(details: dict[str, Any]) -> str | None:
    kind, scope = details.get("kind"), details.get("scope")
    if kind == "stack" and scope == "global":
        return "stackyard stack set OTHER" + (" --global" if details.get("repository") else "")
    if kind == "stack" and scope == "repository":
        return "stackyard stack set OTHER"
    if kind == "profile" and scope == "global":
        return "stackyard profile set OTHER --global"
    if kind == "profile" and details.get("reason") == "store_shared":
        return "stackyard profile create NAME --url=OTHER_FOLDER"
    return None


def unexpected_error(exc: BaseException) -> UserError:
    """A bug: still one line, pointing at ``STACKYARD_DEBUG`` for the traceback."""
    hint = "" if debug_enabled() else f" (set {DEBUG_ENV}=1 to see the traceback)"
    return UserError(f"Unexpected {type(exc).__name__}: {exc}{hint}", exc)
