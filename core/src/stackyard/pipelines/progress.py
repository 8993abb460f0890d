"""Per-step progress on stderr while a pipeline runs from Python.

The lines are the ``stackyard`` logger's INFO messages that the CLI shows
while ``stackyard pipeline run`` runs (``Step 'train' has started.``,
``Step 'train' has finished in 1.234s.``, ``Step 'load' served from cache.``),
so both ways of running show the same thing. A run from Python prints them
unless it is silenced: ``pipeline.run(progress=False)``, or the environment
variable ``STACKYARD_PROGRESS=0`` (``false``, ``no`` and ``off`` work too);
an explicit ``progress=True`` wins over the variable.

Where logging is already set up for the ``stackyard`` logger (the CLI does,
an application may call :func:`logging.basicConfig`), that configuration
decides what is shown and nothing is added, so no line is printed twice.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

PROGRESS_ENV = "STACKYARD_PROGRESS"
"""Set to ``0`` (or ``false``, ``no``, ``off``) to silence progress of pipeline runs started from Python."""

_OFF = frozenset({"0", "false", "no", "off"})


def progress_wanted(progress: bool | None) -> bool:
    """Whether to show progress: ``progress`` if given, else what :data:`PROGRESS_ENV` says (default: yes)."""
    if progress is not None:
        return progress
    return os.environ.get(PROGRESS_ENV, "").strip().lower() not in _OFF


class _ProgressHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each message as one plain line to the stderr of when the run started."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter("%(message)s"))


@contextmanager
def showing_progress(progress: bool | None = None) -> Iterator[None]:
    """Show the ``stackyard`` logger's INFO messages on stderr in the block, unless silenced or already shown."""
    logger = logging.getLogger("stackyard")
    if not progress_wanted(progress) or logger.hasHandlers() or sys.stderr is None:
        yield
        return
    # the stream of now: while a step runs, sys.stderr is the step's log capture
    handler = _ProgressHandler(sys.stderr)
    old_level = logger.level
    logger.addHandler(handler)
    if old_level == logging.NOTSET:  # a level the application chose for the logger stays
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
