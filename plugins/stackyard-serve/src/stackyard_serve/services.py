"""Records of the model servers one deployer started, and their processes.

Each server has a folder ``<root>/<server id>/`` holding ``service.json``
(written atomically) and ``server.log`` (the process's output). The record
is what finds a server again after the process that deployed it has ended;
whether it still runs is read from its process (pid and start time), so a
server whose process died reads as stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from stackyard.files import write_text_atomic
from stackyard.model_deployers import ModelServerNotFoundError

RECORD = "service.json"
LOG = "server.log"
_ID = re.compile(r"[0-9a-f]{32}\Z")

# Starts the server as a grandchild and exits: the server is nobody's child, so it
# outlives the deploying process and no one has to reap it.
_LAUNCHER = (
    "import subprocess, sys\n"
    "log = open(sys.argv[1], 'ab')\n"
    "p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,"
    " start_new_session=True, close_fds=True)\n"
    "print(p.pid)\n"
)


class ServiceFolder:
    """The records of a deployer's servers under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, server_id: str) -> Path:
        """A server's folder; the id is checked first, since it becomes a path."""
        if not _ID.match(server_id):
            raise ModelServerNotFoundError(f"'{server_id}' is not a model server id (32 hex digits).", server_id=server_id)
        return self.root / server_id

    def save(self, record: dict[str, Any]) -> None:
        folder = self.folder(record["id"])
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / RECORD, json.dumps(record, indent=2, sort_keys=True))

    def load(self, server_id: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads((self.folder(server_id) / RECORD).read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # a damaged record is skipped, never fatal

    def all(self) -> list[dict[str, Any]]:
        """Every readable record, oldest first."""
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        records = [r for r in (self.load(n) for n in names if _ID.match(n)) if r is not None]
        return sorted(records, key=lambda r: (r.get("created", 0), r["id"]))

    def log_file(self, server_id: str) -> Path:
        return self.folder(server_id) / LOG

    def remove(self, server_id: str) -> None:
        folder = self.folder(server_id)
        for name in (RECORD, LOG):
            try:
                (folder / name).unlink()
            except FileNotFoundError:
                pass
        try:
            folder.rmdir()
        except OSError:
            pass


def start_detached(command: list[str], log: Path, env: dict[str, str]) -> int:
    """Start ``command`` in the background, its output appended to ``log``; return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover - no zombies there: start it directly, detached
        flags = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        with open(log, "ab") as handle:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                                       env=env, creationflags=flags, close_fds=True)
        return process.pid
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, str(log), *command], env=env, capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip())


def start_time(pid: int) -> str | None:
    """An identity of process ``pid``'s start (``None`` if it is gone or a zombie, or cannot be known)."""
    from stackyard.metadata_stores.liveness import process_start_time

    return process_start_time(pid)


def is_alive(record: dict[str, Any]) -> bool:
    """Whether the server's process still runs (and is the same process, not a reused pid)."""
    pid = record.get("pid")
    if not isinstance(pid, int):
        return False
    recorded = record.get("start_time")
    if recorded and sys.platform.startswith("linux"):
        return start_time(pid) == recorded
    from stackyard.metadata_stores.liveness import pid_exists

    return pid_exists(pid)


def terminate(record: dict[str, Any], timeout: float = 10.0) -> None:
    """Stop the server's process: SIGTERM, then SIGKILL if it is still there after ``timeout`` seconds."""
    if not is_alive(record):
        return
    pid = int(record["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(record):
            return
        time.sleep(0.02)
    if sys.platform != "win32":
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while is_alive(record) and time.monotonic() < deadline + 5:
            time.sleep(0.02)
