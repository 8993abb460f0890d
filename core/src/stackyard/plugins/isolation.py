"""Running plugin code without letting it take the caller down or spoil its output.

Every import of plugin code — discovery, a flavor class imported on first use
from the warm cache, materializers, the modules of plugin CLI commands — and
every hook call goes through :func:`plugin_code`:

- what the plugin prints goes to stderr, so ``--output json`` on stdout stays intact;
- ``SystemExit`` (``sys.exit()`` at import or in a hook) becomes a
  :class:`~stackyard.exceptions.PluginExitError`, which callers record as a
  failure of that plugin;
- a ``KeyboardInterrupt`` is Ctrl-C and goes on (the command exits 130 and
  nothing is cached) — unless no SIGINT arrived while the plugin code ran, in
  which case the plugin raised it itself and it is a ``PluginExitError`` too.
  Off the main thread the two cannot be told apart: it is taken as Ctrl-C.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from stackyard.exceptions import PluginExitError

try:  # the C module: ``signal`` would cost every command that imports a flavor its enum set-up
    import _signal as _sig
except ImportError:  # pragma: no cover - other interpreters
    import signal as _sig  # type: ignore[no-redef]


class _SigintWatch:
    """Notes whether a SIGINT arrives, passing it on to the handler in place."""

    def __init__(self) -> None:
        self.seen = False
        self.active = False
        self._previous: object = None
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach only the main thread's handlers: cannot tell
        previous = _sig.getsignal(_sig.SIGINT)
        if callable(previous):
            self._previous = previous
            _sig.signal(_sig.SIGINT, self._handle)
        self.active = True  # with SIG_DFL/SIG_IGN, Ctrl-C never becomes a KeyboardInterrupt

    def _handle(self, signum: int, frame: object) -> None:
        self.seen = True
        self._previous(signum, frame)  # type: ignore[operator]

    def restore(self) -> None:
        if self._previous is not None and _sig.getsignal(_sig.SIGINT) == self._handle:
            _sig.signal(_sig.SIGINT, self._previous)


@contextlib.contextmanager
def plugin_code() -> Iterator[None]:
    """Run plugin code: stdout to stderr; its ``SystemExit`` (or own ``KeyboardInterrupt``) a ``PluginExitError``."""
    watch = _SigintWatch()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except SystemExit as exc:
        raise PluginExitError(f"SystemExit({exc.code!r}): the plugin tried to end the process") from None
    except KeyboardInterrupt:
        if watch.seen or not watch.active:
            raise  # Ctrl-C
        raise PluginExitError("KeyboardInterrupt raised by the plugin itself (no Ctrl-C was pressed)") from None
    finally:
        watch.restore()
