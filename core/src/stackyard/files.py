"""Reading and writing Stackyard's TOML files: atomic, locked, versioned."""

from __future__ import annotations

import contextlib
import os
import sys
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
    import tempfile  # only writers pay for it (it imports random, shutil, ...)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the inter-process lock of ``folder`` (a ``.lock`` file inside it).

    Re-entrant within a thread, so an operation holding the lock may call
    another that takes it too.
    """
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".lock"), timeout=LOCK_TIMEOUT, is_singleton=True)
    try:
        with lock:
            yield
    except Timeout:
        from stackyard.exceptions import StackyardError

        raise StackyardError(
            f"Timed out after {LOCK_TIMEOUT:.0f}s waiting for the lock {folder / '.lock'}; "
            "another stackyard process is writing. Retry, or delete the lock file if "
            "no such process is running."
        ) from None
