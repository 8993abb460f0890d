"""Reading and writing Stackyard's TOML files: atomic, locked, versioned."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stackyard.exceptions import ConfigFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

SCHEMA_VERSION = 1
"""Version written into every file; files from a newer Stackyard are refused."""

LOCK_TIMEOUT = 60.0


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a Stackyard TOML file, raising :class:`ConfigFileError` naming it when damaged."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(path, f"not valid TOML ({exc}); fix or delete it") from None
    except UnicodeDecodeError:
        raise ConfigFileError(path, "not UTF-8 text; fix or delete it") from None
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int):
        raise ConfigFileError(path, f"schema_version must be an integer, not {version!r}")
    if version > SCHEMA_VERSION:
        raise ConfigFileError(
            path,
            f"written by a newer Stackyard (schema version {version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade stackyard-core",
        )
    return data


def read_settings(path: Path, fix: str) -> dict[str, Any]:
    """Read a settings file that Stackyard always writes with content: an empty one is an error saying ``fix``.

    An emptied file (a failed copy, a truncating editor) must not silently
    stand for the defaults.
    """
    data = read_toml(path)
    if not data and not path.read_bytes().strip():
        raise ConfigFileError(path, f"the file is empty; {fix}")
    return data


def write_toml(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` (plus the schema version) to ``path`` atomically.

    The content goes to a temporary file in the same folder, is flushed to disk
    and then renamed over the target, so readers see the old or the new file,
    never half of one.
    """
    import tomli_w

    payload = {"schema_version": SCHEMA_VERSION, **data}
    text = tomli_w.dumps(drop_none(payload))
    write_text_atomic(path, text)


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Atomically replace ``path`` with ``text`` (temp file, fsync, rename).

    ``durable=False`` skips the fsyncs, for caches that may be lost in a crash.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


_temp_numbers = itertools.count()


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, exclusively created temporary file beside ``path`` (without ``tempfile``, which imports
    ``random``, ``shutil`` and the compression modules into every writing command)."""
    while True:
        tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}-{threading.get_ident()}-{next(_temp_numbers)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600), tmp
        except FileExistsError:  # left by a killed process that had the same pid
            continue


def is_temp_file(name: str, target: str | None = None) -> bool:
    """Whether ``name`` is a temporary file of :func:`write_text_atomic` (for ``target`` if given)."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return False
    return target is None or name.startswith(f".{target}.")


def remove_temp_files(folder: Path, *, keep: Callable[[str], bool] | None = None) -> list[Path]:
    """Delete the temporary files killed writes left in ``folder``; return what was deleted.

    Call it only while holding the lock every writer of ``folder`` holds, so
    that no temporary file of a write still in progress is taken; ``keep``
    spares files written without that lock (such as a folder index).
    """
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for name in names:
        if is_temp_file(name) and not (keep and keep(name)):
            path = folder / name
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except IsADirectoryError:
                continue
            removed.append(path)
    return removed


def remove_file(path: Path) -> None:
    """Delete ``path`` and make the deletion durable."""
    path.unlink()
    _fsync_dir(path.parent)


def sync_files(paths: list[Path]) -> None:
    """Make files written with ``durable=False`` (and their renames) durable, all at once.

    On Linux one ``sync()`` (which waits for the writes to reach the disk)
    costs about as much as a few single ``fsync`` calls; elsewhere every file
    and each folder is synced in turn.
    """
    if not paths:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)  # Windows syncs writable handles
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for folder in {path.parent for path in paths}:
        _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_none(value: Any) -> Any:
    """TOML has no null: drop ``None`` values (readers fall back to defaults)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


_held = threading.local()
"""This thread's locks: lock file path to ``[fd, depth, pid]``."""


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the inter-process lock of ``folder`` (a ``.lock`` file inside it).

    An exclusive ``flock`` on Linux and macOS (``msvcrt.locking`` of the
    file's first byte on Windows), held by an open file description, so it
    also excludes other threads of this process and is released by the
    system when a process dies. Re-entrant within a thread, so an operation
    holding the lock may call another that takes it too. Waits up to
    :data:`LOCK_TIMEOUT` seconds, then raises :class:`StackyardError`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = os.path.join(os.path.abspath(folder), ".lock")
    held: dict[str, list[int]] | None = getattr(_held, "locks", None)
    if held is None:
        held = _held.locks = {}
    entry = held.get(path)
    if entry is not None and entry[2] == os.getpid():
        entry[1] += 1
        try:
            yield
        finally:
            entry[1] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path)
        owner = os.getpid()
        held[path] = [fd, 1, owner]
        try:
            yield
        finally:
            held.pop(path, None)
            if os.getpid() == owner:  # a forked child shares the description: only its owner unlocks
                _release(fd)
    finally:
        os.close(fd)


def _acquire(fd: int, path: str) -> None:
    """Take the lock on ``fd``, polling up to :data:`LOCK_TIMEOUT` seconds."""
    import time

    deadline = time.monotonic() + LOCK_TIMEOUT
    delay = 0.0005
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            from stackyard.exceptions import StackyardError

            raise StackyardError(
                f"Timed out after {LOCK_TIMEOUT:.0f}s waiting for the lock {path}; "
                "another stackyard process is writing. Retry, or delete the lock file if "
                "no such process is running."
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _forget_locks_in_child() -> None:
    """A forked child holds none of its parent's locks (their descriptions stay the parent's)."""
    global _held
    _held = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: reading or drawing thousands of records allocates many
    objects, none in cycles, and the collector's passes over them cost a listing about 10%."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
