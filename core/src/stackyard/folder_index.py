"""Reading every TOML file of a folder quickly: a cache of parsed files, checked file by file.

Parsing TOML costs about 100 µs a file, so listing 10,000 components would
take more than a second. The folder's ``.index.json`` keeps each file's parsed
content with the identity it had when parsed (inode, size, modification time
in ns). A listing stats every file and re-parses only those whose identity
changed; the files stay the only truth. Every Stackyard write replaces a file
by rename (a new inode), so a changed file is always noticed. Rewriting the
index is best effort and atomic: concurrent readers each write a complete,
correct snapshot, and a damaged index is simply rebuilt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from stackyard.files import read_toml

INDEX_NAME = ".index.json"
_INDEX_VERSION = 1
_SUFFIX = ".toml"


def read_folder(folder: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every ``*.toml`` file in ``folder``: name (without suffix) to (path, parsed data), sorted by name.

    Callers reading thousands of files pause the garbage collector around it
    (:func:`stackyard.files.gc_paused`), with the work they do on the data.
    """
    try:
        entries = sorted(
            (e for e in os.scandir(folder) if e.name.endswith(_SUFFIX) and not e.name.startswith(".")),
            key=lambda e: e.name[: -len(_SUFFIX)],  # 'dev' before 'dev-2', as the names sort
        )
    except FileNotFoundError:
        return {}
    index = _load(folder / INDEX_NAME)
    fresh: dict[str, list[Any]] = {}
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    changed = len(index) != len(entries)
    for entry in entries:
        try:
            info = entry.stat()
        except FileNotFoundError:  # deleted while listing
            changed = True
            continue
        identity = [info.st_ino, info.st_size, info.st_mtime_ns]
        cached = index.get(entry.name)
        if cached is not None and cached[0] == identity:
            data = cached[1]
        else:
            try:
                data = read_toml(Path(entry.path))
            except FileNotFoundError:  # deleted (or renamed) while listing
                changed = True
                continue
            changed = True
        fresh[entry.name] = [identity, data]
        result[entry.name[: -len(_SUFFIX)]] = (entry.path, data)
    if changed:
        _save(folder / INDEX_NAME, fresh)
    return result


def _load(path: Path) -> dict[str, list[Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") != _INDEX_VERSION or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def _save(path: Path, files: dict[str, list[Any]]) -> None:
    from stackyard.files import write_text_atomic

    try:
        write_text_atomic(path, json.dumps({"version": _INDEX_VERSION, "files": files}, separators=(",", ":")), durable=False)
    except OSError:
        pass  # a read-only store still lists, just without the speed-up
