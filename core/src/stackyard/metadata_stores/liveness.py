"""Whether the process that owns a ``running`` run is still there: owner identity, heartbeat, crash rule.

A run records its **owner** (``host``, ``pid``, ``start_time`` of the process,
``heartbeat_interval``) and a **heartbeat** time that the owning process
refreshes every :func:`heartbeat_interval` seconds while the run goes on
(:class:`Heartbeat`). A run still ``running`` is *crashed* when

- its owner ran on this host and that process is gone: no process with its
  pid, a zombie, or one that started at another time (the pid was reused); or
- its owner cannot be checked that way (another host, or a platform without
  process start times) and its last heartbeat is older than
  :func:`heartbeat_grace` seconds (at least three of the owner's intervals).

A process on this host that is verifiably alive keeps its run ``running`` even
when its heartbeat is late (it may be suspended or busy in native code).
Settings: ``STACKYARD_HEARTBEAT_INTERVAL`` (seconds, default 5) and
``STACKYARD_HEARTBEAT_GRACE`` (seconds, default 60), read when used.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.metadata_stores.base_metadata_store import BaseMetadataStore

logger = logging.getLogger("stackyard")

DEFAULT_INTERVAL = 5.0
DEFAULT_GRACE = 60.0
INTERVAL_ENV = "STACKYARD_HEARTBEAT_INTERVAL"
GRACE_ENV = "STACKYARD_HEARTBEAT_GRACE"

_boot_id: str | None = None


def _seconds_from_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def heartbeat_interval() -> float:
    """Seconds between two heartbeats of a running run."""
    return max(_seconds_from_env(INTERVAL_ENV, DEFAULT_INTERVAL), 0.05)


def heartbeat_grace() -> float:
    """Seconds without a heartbeat after which a run whose process cannot be checked is crashed."""
    return _seconds_from_env(GRACE_ENV, DEFAULT_GRACE)


def hostname() -> str:
    """This machine's name, as runs record it."""
    return socket.gethostname()


def process_start_time(pid: int) -> str | None:
    """An identity of process ``pid``'s start (boot id and start tick on Linux); ``None`` if unknown or gone."""
    global _boot_id
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
        if _boot_id is None:
            with open("/proc/sys/kernel/random/boot_id") as handle:
                _boot_id = handle.read().strip()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):  # a zombie has finished: it only waits to be reaped
        return None
    return f"{_boot_id}:{fields[19]}"


def current_owner() -> dict[str, Any]:
    """The owner record of this process."""
    pid = os.getpid()
    return {
        "host": hostname(),
        "pid": pid,
        "start_time": process_start_time(pid),
        "heartbeat_interval": heartbeat_interval(),
    }


def pid_exists(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts: check its start time to know it is alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, owned by someone else (or the platform cannot say: assume it does)
    return True


def owner_is_gone(owner: Mapping[str, Any] | None) -> bool | None:
    """``True``/``False`` if ``owner`` ran on this host and can be checked; ``None`` if that cannot be known here."""
    if not owner or owner.get("host") != hostname() or not isinstance(owner.get("pid"), int):
        return None
    pid = int(owner["pid"])
    recorded = owner.get("start_time")
    if recorded and sys.platform.startswith("linux"):
        return process_start_time(pid) != recorded
    if sys.platform != "win32" and not pid_exists(pid):
        return True
    return None  # a process with that pid exists, but it may be another one: the heartbeat decides


def crash_reason(record: Mapping[str, Any], now: float | None = None) -> str | None:
    """Why the ``running`` run ``record`` has crashed (its owner is gone), or ``None`` if it has not."""
    if record.get("status") != "running":
        return None
    owner = record.get("owner") or {}
    who = f"pid {owner['pid']} on host '{owner.get('host')}'" if owner.get("pid") is not None else "an unknown process"
    gone = owner_is_gone(owner)
    if gone:
        return f"Its process ({who}) ended without finishing the run (killed or crashed)."
    if gone is False:
        return None
    last = record.get("heartbeat")
    if last is None:
        return None  # a flavor that records no heartbeat: nothing tells
    interval = owner.get("heartbeat_interval")
    grace = max(heartbeat_grace(), 3 * float(interval) if isinstance(interval, (int, float)) else 0.0)
    age = (time.time() if now is None else now) - float(last)
    if age <= grace:
        return None
    seen = datetime.datetime.fromtimestamp(float(last)).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"No heartbeat from its process ({who}) since {seen}, {age:.0f}s ago "
        f"(more than the {grace:.0f}s allowed); it stopped without finishing the run."
    )


# Forking while the heartbeat thread is inside the metadata store could leave a lock of the
# database library held forever in the child: a fork waits for a heartbeat in progress.
_fork_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _fork_lock
    _fork_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=lambda: _fork_lock.acquire(),
        after_in_parent=lambda: _fork_lock.release(),
        after_in_child=_after_fork_in_child,
    )


class Heartbeat:
    """A daemon thread that refreshes a run's heartbeat in the metadata store until stopped."""

    def __init__(self, store: BaseMetadataStore, run_id: str, owner: Mapping[str, Any] | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.owner: dict[str, Any] = dict(owner or current_owner())
        self.interval = float(self.owner.get("heartbeat_interval") or heartbeat_interval())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"stackyard-heartbeat-{run_id[:8]}", daemon=True)

    def start(self) -> Heartbeat:
        """Record the owner with a first heartbeat, then keep beating; returns itself.

        Raises ``NotImplementedError`` if the metadata store flavor records no heartbeats.
        """
        self.store.heartbeat(self.run_id, owner=self.owner)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating (waits for a heartbeat in progress)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with _fork_lock:
                if self._stop.is_set():
                    return
                try:
                    self.store.heartbeat(self.run_id)
                except Exception as exc:  # noqa: BLE001 - a late heartbeat is better than a dead run
                    logger.debug("Heartbeat of run %s not recorded: %s", self.run_id, exc)
