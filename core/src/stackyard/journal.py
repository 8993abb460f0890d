"""A store's write-ahead journal: changes touching several files are all-or-nothing across a crash.

A change that writes or deletes more than one file (renaming a component
and the stacks that use it, renaming a stack and the settings naming it
active, registering a stack with new components) is first written whole to
``.journal.json`` in the store's folder, atomically and durably, and only
then applied: files written first, then the active-stack settings moved,
then files deleted, so that even a reader that does not wait for the lock
never sees an active stack that does not exist. The journal is removed
last. A process killed at any point leaves either no journal (nothing was
touched) or a complete one, which the next process to open the store
replays under the store's lock before it reads or writes anything. Every
step is idempotent (write this text, delete if present, move the setting
only if it still names the old stack), so replaying twice is harmless.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from stackyard.exceptions import ConfigFileError
from stackyard.files import locked, read_toml, sync_files, write_text_atomic, write_toml

logger = logging.getLogger("stackyard")

JOURNAL_NAME = ".journal.json"
_VERSION = 1
_PHASES = {"write": 0, "repoint": 1, "delete": 2}
_KEY = "active_stack_name"


class Change:
    """One multi-file change of a store, collected and then committed through the journal."""

    def __init__(self, root: Path, description: str) -> None:
        self.root = Path(root)
        self.description = description
        self.steps: list[dict[str, Any]] = []

    def write(self, path: Path, data: dict[str, Any]) -> None:
        """Write TOML ``data`` to ``path`` (a file of the store)."""
        import tomli_w

        from stackyard.files import SCHEMA_VERSION, drop_none

        text = tomli_w.dumps(drop_none({"schema_version": SCHEMA_VERSION, **data}))
        self.steps.append({"op": "write", "path": self._relative(path), "text": text})

    def delete(self, path: Path) -> None:
        """Delete ``path`` (a file of the store)."""
        self.steps.append({"op": "delete", "path": self._relative(path)})

    def repoint(self, settings: Path, lock: Path, old: str, new: str, profile: str | None = None) -> None:
        """Change ``active_stack_name`` in a settings file from ``old`` to ``new``.

        ``settings`` is a profile's file or a repository's ``config.toml``
        (then ``profile`` is the profile it must still choose); ``lock`` is the
        folder whose lock guards it.
        """
        self.steps.append(
            {"op": "repoint", "file": str(settings), "lock": str(lock), "old": old, "new": new, "profile": profile}
        )

    def commit(self, *, batch: bool = False) -> None:
        """Apply the change; the caller holds the store's lock.

        By default each file is synced as it is written. With ``batch`` (many
        files), the files are written unsynced and synced all together before
        the journal goes: until then a crash replays the journal, so the
        change stays all-or-nothing and durable once this returns.
        """
        if not self.steps:
            return
        if len(self.steps) == 1 and self.steps[0]["op"] != "repoint":
            _apply(self.root, self.steps)  # one file: atomic by itself
            return
        journal = self.root / JOURNAL_NAME
        payload = {"version": _VERSION, "description": self.description, "steps": self.steps}
        write_text_atomic(journal, json.dumps(payload))
        if batch:
            written = _apply(self.root, self.steps, durable=False)
            sync_files(written)
        else:
            _apply(self.root, self.steps)
        _remove(journal)

    def _relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root)


def pending(root: Path) -> bool:
    """Whether the store at ``root`` holds a change a killed process did not finish."""
    return os.path.exists(os.path.join(root, JOURNAL_NAME))


def replay(root: Path) -> str | None:
    """Finish the interrupted change of the store at ``root``, if any; the caller holds its lock.

    Returns its description, which is also logged as a warning.
    """
    journal = Path(root) / JOURNAL_NAME
    try:
        with open(journal, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigFileError(journal, f"unreadable journal of an interrupted change ({exc}); delete it") from None
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or data.get("version") != _VERSION:
        raise ConfigFileError(journal, "unknown journal format; upgrade stackyard-core or delete it")
    _apply(Path(root), [_checked(Path(root), journal, step) for step in steps])
    _remove(journal)
    description = str(data.get("description") or "change")
    logger.warning("Completed the interrupted %s (a stackyard process was killed during it).", description)
    return description


def _apply(root: Path, steps: list[dict[str, Any]], *, durable: bool = True) -> list[Path]:
    """Carry out ``steps``; the files written (synced one by one if ``durable``)."""
    written = []
    for step in sorted(steps, key=lambda s: _PHASES[s["op"]]):
        if step["op"] == "write":
            path = root / step["path"]
            write_text_atomic(path, step["text"], durable=durable)
            written.append(path)
        elif step["op"] == "delete":
            path = root / step["path"]
            if path.exists():
                _remove(path)
        else:
            _repoint(step)
    return written


def _repoint(step: dict[str, Any]) -> None:
    settings = Path(step["file"])
    with locked(Path(step["lock"])):
        try:
            data = dict(read_toml(settings))
        except FileNotFoundError:
            return
        if data.get(_KEY) != step["old"]:
            return
        if step.get("profile") is not None and data.get("active_profile_name") != step["profile"]:
            return
        data.pop("schema_version", None)
        data[_KEY] = step["new"]
        write_toml(settings, data)


def _remove(path: Path) -> None:
    from stackyard.files import remove_file

    try:
        remove_file(path)
    except FileNotFoundError:
        pass


def _checked(root: Path, journal: Path, step: Any) -> dict[str, Any]:
    """A journal step, refused unless it only touches what a Stackyard change may touch."""
    op = step.get("op") if isinstance(step, dict) else None
    if op in ("write", "delete"):
        relative = step.get("path")
        target = os.path.abspath(root / str(relative))
        inside = os.path.commonpath([target, os.path.abspath(root)]) == os.path.abspath(root)
        parts = Path(str(relative)).parts
        if inside and target.endswith(".toml") and not any(p.startswith(".") for p in parts):
            if op == "delete" or isinstance(step.get("text"), str):
                return step
    elif op == "repoint" and all(isinstance(step.get(k), str) for k in ("file", "lock", "old", "new")):
        settings = Path(step["file"])
        repository = settings.name == "config.toml" and settings.parent.name == ".stackyard"
        repository = repository and Path(step["lock"]) == settings.parent and isinstance(step.get("profile"), str)
        if repository or _profile_of_store(settings, Path(step["lock"]), root):
            return step
    raise ConfigFileError(journal, f"a step of the journal touches what it may not ({step!r:.120}); delete it")


def _profile_of_store(settings: Path, lock: Path, root: Path) -> bool:
    """Whether ``settings`` is the file of a profile whose store is ``root``."""
    if settings.parent.name != "profiles" or lock != settings.parent.parent or settings.suffix != ".toml":
        return False
    from stackyard.profiles import url_to_path

    try:
        url = read_toml(settings).get("url")
        return isinstance(url, str) and url_to_path(url).resolve() == root.resolve()
    except FileNotFoundError:
        return True  # deleted since: repointing it does nothing
    except Exception:  # noqa: BLE001 - a damaged profile file is reported where it is used
        return False
