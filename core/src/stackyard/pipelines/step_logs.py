"""Capturing a step's stdout, stderr and ``logging`` output, and storing it with the run.

While a step runs, ``sys.stdout`` and ``sys.stderr`` are wrappers that write
to the real streams (so the output still shows live on a terminal) and to
the log of the step running in the current thread (or context), if any; a
handler on the root logger adds every ``logging`` record emitted meanwhile.
Steps running at the same time in threads each get their own lines. The
text is written to ``<artifact store path>/<pipeline>/<step>/logs/<run id>.txt``
when the step ends, and its URI recorded on the step.
"""

from __future__ import annotations

import contextvars
import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore

_CURRENT: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar("stackyard_step_log", default=None)
_lock = threading.Lock()
_installed = 0
_saved: tuple[Any, Any] | None = None


class _Tee(io.TextIOBase):
    """A stream writing to the real one and to the current step's log."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        log = _CURRENT.get()
        if log is not None:
            log.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _LogHandler(logging.Handler):
    """Adds each record emitted while a step runs to that step's log."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        log = _CURRENT.get()
        if log is None:
            return
        try:
            log.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001
            self.handleError(record)
        if record.levelno >= logging.WARNING and not _handled_elsewhere(record):
            # with no handler configured, Python prints warnings to stderr (logging.lastResort);
            # this handler must not silence that
            stream = _saved[1] if _saved is not None else sys.__stderr__
            if stream is not None:
                stream.write(record.getMessage() + "\n")


def _handled_elsewhere(record: logging.LogRecord) -> bool:
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        if any(h is not _handler for h in logger.handlers):
            return True
        if not logger.propagate:
            return True
        logger = logger.parent  # type: ignore[assignment]
    return False


_handler = _LogHandler()


@contextmanager
def capture() -> Iterator[io.StringIO]:
    """Collect what the code in the block prints and logs (in this thread or context) into a buffer."""
    global _installed, _saved
    buffer = io.StringIO()
    with _lock:
        if _installed == 0:
            _saved = (sys.stdout, sys.stderr)
            sys.stdout, sys.stderr = _Tee(sys.stdout), _Tee(sys.stderr)
            logging.getLogger().addHandler(_handler)
        _installed += 1
    token = _CURRENT.set(buffer)
    try:
        yield buffer
    finally:
        _CURRENT.reset(token)
        with _lock:
            _installed -= 1
            if _installed == 0 and _saved is not None:
                if isinstance(sys.stdout, _Tee):
                    sys.stdout = _saved[0]
                if isinstance(sys.stderr, _Tee):
                    sys.stderr = _saved[1]
                _saved = None
                logging.getLogger().removeHandler(_handler)


def logs_uri(artifact_store: BaseArtifactStore, pipeline_name: str, step_name: str, run_id: str) -> str:
    """Where the log of step ``step_name`` of run ``run_id`` is stored."""
    return f"{artifact_store.path.rstrip('/')}/{pipeline_name}/{step_name}/logs/{run_id}.txt"


def write_logs(artifact_store: BaseArtifactStore, uri: str, text: str) -> None:
    """Store ``text`` at ``uri`` in the artifact store."""
    folder = uri.rsplit("/", 1)[0]
    artifact_store.makedirs(folder)
    with artifact_store.open(uri, "w") as file:
        file.write(text)


def read_logs(artifact_store: BaseArtifactStore, uri: str) -> str:
    """The log stored at ``uri``."""
    with artifact_store.open(uri, "r") as file:
        return str(file.read())
