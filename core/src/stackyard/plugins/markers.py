"""Noticing a plugin that ended the process while it was being loaded (``os._exit``, a crash).

While discovery loads a plugin (imports it and calls its hooks), a marker
file in the cache folder, ``discovering-<pid>.json``, names the plugin and the
discovering process (pid and start time); it is emptied after each plugin and
removed when discovery ends. A marker left behind by a process that no longer
runs names the plugin that killed it: the next discovery in the same Python
environment turns it into ``crashed-<key>.json``, and the plugin is skipped —
recorded as failed with the reason, which the CLI shows as one warning line
where it warns about failed plugins — until its entry
point's module file or its version changes. A marker whose owner still runs
is another process discovering right now and is left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from stackyard.plugins.records import PluginInfo

_MARKER_PREFIX = "discovering-"
_CRASHED_PREFIX = "crashed-"


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux), or ``None`` if unknown or gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rpartition(b")")[2].split()
    except OSError:
        return None
    if fields and fields[0] == b"Z":  # a zombie has ended; only its exit status is left
        return None
    try:
        return int(fields[19])  # field 22 of stat(5); the split starts at field 3
    except (IndexError, ValueError):
        return None


def owner_alive(pid: int, started: int | None) -> bool:
    """Whether the process that wrote a marker still runs (the same process, not a reused pid)."""
    if sys.platform == "win32":  # os.kill(pid, 0) would end it there: never blame
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    if os.path.isdir("/proc"):
        now = process_start_time(pid)
        return now is not None and (started is None or now == started)
    return True


def module_file(module: str) -> str | None:
    """The file of a module, found without importing it (nor its parent packages)."""
    from importlib.machinery import PathFinder

    parts = module.split(".")
    try:
        spec = PathFinder.find_spec(parts[0])
        for part in parts[1:]:
            if spec is None or not spec.submodule_search_locations:
                return None
            spec = PathFinder.find_spec(part, list(spec.submodule_search_locations))
    except (ImportError, ValueError, OSError):
        return None
    return spec.origin if spec is not None else None


def _identity(info: PluginInfo) -> dict[str, Any]:
    """What must stay the same for a crashed plugin to stay skipped."""
    path = module_file(info.value.partition(":")[0].strip())
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None
    return {
        "value": info.value,
        "version": info.version,
        "file": [path, stat.st_mtime_ns if stat else None, stat.st_size if stat else None],
    }


def _key(name: str, package: str) -> str:
    text = f"{sys.executable}\0{sys.prefix}\0{package}\0{name}"
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]  # noqa: S324 - a file name, not security


class DiscoveryMarker:
    """This process's marker: :meth:`loading` before each plugin, :meth:`done` after it, :meth:`close` at the end.

    Writes go straight to the file descriptor (no buffering, no fsync): what
    is written survives the process's death, which is all a marker needs.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.path = os.path.join(cache_dir, f"{_MARKER_PREFIX}{os.getpid()}.json")
        self._owner = {"pid": os.getpid(), "started": process_start_time(os.getpid()), "executable": sys.executable, "prefix": sys.prefix}
        self._fd: int | None = None
        try:
            os.makedirs(cache_dir, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError:  # a read-only config dir: no markers, as there is no cache
            self._fd = None

    def loading(self, info: PluginInfo) -> None:
        """Record that ``info``'s plugin is being loaded now."""
        if self._fd is None:
            return
        data = {**self._owner, "name": info.name, "value": info.value, "package": info.package, "version": info.version}
        payload = json.dumps(data).encode("utf-8", "surrogateescape")
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, payload, 0)
        except OSError:
            pass

    def done(self) -> None:
        """The plugin loaded (or failed cleanly): no plugin is being loaded."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass

    def close(self) -> None:
        """Discovery ended: remove the marker."""
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        try:
            os.unlink(self.path)
        except OSError:
            pass


def crashed_plugins(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """The crash records of this Python environment, by key; turns markers of dead owners into records first."""
    try:
        names = os.listdir(cache_dir)
    except OSError:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        if name.startswith(_MARKER_PREFIX) and name != f"{_MARKER_PREFIX}{os.getpid()}.json":
            _adopt(os.path.join(cache_dir, name), cache_dir)
    for name in os.listdir(cache_dir):
        if name.startswith(_CRASHED_PREFIX) and name.endswith(".json"):
            try:
                with open(os.path.join(cache_dir, name), encoding="utf-8") as handle:
                    record = json.load(handle)
                found[name[len(_CRASHED_PREFIX) : -5]] = {**record, "path": os.path.join(cache_dir, name)}
            except (OSError, ValueError):
                continue
    return found


def _adopt(path: str, cache_dir: Path) -> None:
    """If ``path`` is a marker of a dead process of this environment that was loading a plugin, make it a crash record."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
        data = json.loads(text) if text else {}
        pid, started = int(data.get("pid", 0) or path.rpartition("-")[2].split(".")[0]), data.get("started")
    except (OSError, ValueError):
        return
    if data and (data.get("executable") != sys.executable or data.get("prefix") != sys.prefix):
        return  # another Python environment's: it will judge its own markers
    if owner_alive(pid, started):
        return  # another process discovering right now
    if not data.get("name"):  # it died between plugins: no plugin to blame
        _remove(path)
        return
    target = os.path.join(cache_dir, f"{_CRASHED_PREFIX}{_key(data['name'], data['package'])}.json")
    claim = f"{target}.{pid}.claim"  # never read as a record
    try:
        os.rename(path, claim)  # one process wins; the others find the record once it is written
    except OSError:
        return
    from pathlib import Path

    from stackyard.files import write_text_atomic
    from stackyard.plugins.records import PluginInfo

    info = PluginInfo(data["name"], data["value"], data["package"], data["version"])
    try:
        write_text_atomic(Path(target), json.dumps({**data, **_identity(info)}), durable=False)
    except OSError:
        pass
    _remove(claim)


def skip_reason(info: PluginInfo, crashed: dict[str, dict[str, Any]]) -> str | None:
    """Why ``info``'s plugin must be skipped (it ended a process while loading and has not changed), else ``None``.

    A record of a plugin that changed since is removed.
    """
    if not crashed:
        return None
    record = crashed.get(_key(info.name, info.package))
    if record is None:
        return None
    if {k: record.get(k) for k in ("value", "version", "file")} != _identity(info):
        _remove(record["path"])
        return None
    return (
        f"ended the process while it was being loaded (pid {record.get('pid')}: os._exit or a crash); "
        f"skipped until it changes (delete {record['path']} to try it again)"
    )


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
