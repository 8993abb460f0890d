"""Validation of user-chosen names (they become file names on disk)."""

from __future__ import annotations

import re

from stackyard.exceptions import InvalidNameError

MAX_NAME_LENGTH = 100
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?\Z")


def validate_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid name for a ``kind`` (stack, profile, ...), else raise."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError(f"A {kind} name must be a non-empty string.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"The {kind} name '{name[:20]}…' is {len(name)} characters long; "
            f"use at most {MAX_NAME_LENGTH}."
        )
    if not _NAME.match(name):
        raise InvalidNameError(
            f"Invalid {kind} name '{name}': use letters, digits, '_', '-' and '.', "
            "not starting with '.' or '-' nor ending with '.', and no spaces or path separators."
        )
    return name


def normalized_package_name(name: str) -> str:
    """A distribution's name as PEP 503 compares them: lowercase, each run of ``-``, ``_`` and ``.`` one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()
