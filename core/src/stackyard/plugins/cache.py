"""An on-disk cache of plugin discovery, so listing flavors or commands does not import every plugin.

Discovery scans every installed distribution for entry points, imports each
plugin and calls its hooks: with many plugins that costs hundreds of
milliseconds. The cache keeps what discovery found (plugins, their status,
hooks, flavors with import paths and descriptions, materializer paths, CLI
commands) in a folder the caller names, and is used only while
nothing it depends on has changed:

- the Python environment (interpreter, ``sys.prefix``, stackyard-core version)
  and ``STACKYARD_DISABLE_PLUGINS``;
- every folder on ``sys.path`` that holds distributions (installing or
  removing one changes its folder);
- every source file imported while the plugins were loaded (an editable
  plugin whose code changes).

Any difference, or a damaged cache file, means discovery runs again, so a
stale cache can neither hide nor invent a flavor. While any plugin fails to
load nothing is cached. ``STACKYARD_PLUGIN_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

from stackyard.plugins import DISABLE_ENV

if TYPE_CHECKING:
    from pathlib import Path

    from stackyard.plugins.registry import PluginRegistry

CACHE_ENV = "STACKYARD_PLUGIN_CACHE"
CACHE_VERSION = 2


def _enabled() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _environment() -> dict[str, Any]:
    from stackyard import __version__

    return {
        "version": CACHE_VERSION,
        "python": sys.version,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "core": __version__,
        "disabled": os.environ.get(DISABLE_ENV, ""),
        "paths": [[folder, _stat(folder)[1]] for folder in _search_path()],
    }


def _search_path() -> list[str]:
    """The ``sys.path`` folders that hold installed distributions (``*.dist-info``/``*.egg-info``).

    Others — the working directory or a script's folder — cannot add entry
    points, so they stay out of the key and changing them keeps the cache.
    """
    found = []
    for folder in (os.path.abspath(entry or os.curdir) for entry in sys.path):
        try:
            if any(n.endswith((".dist-info", ".egg-info")) for n in os.listdir(folder)):
                found.append(folder)
        except OSError:
            continue
    return found


def _stat(path: str) -> list[Any]:
    """``[path, mtime, size]``, with ``None`` for a missing file."""
    try:
        info = os.stat(path)
    except OSError:
        return [path, None, None]
    return [path, info.st_mtime_ns, info.st_size]


def cache_file(cache_dir: str | Path) -> str:
    """Where this Python environment's cache lives in ``cache_dir``."""
    digest = 0  # a plain polynomial hash: this runs on ``stackyard --help``, where hashlib costs more than the rest
    for byte in f"{sys.executable}\0{sys.prefix}".encode():
        digest = (digest * 31 + byte) & 0xFFFFFFFF
    return os.path.join(cache_dir, f"plugins-{digest:08x}.json")


def _read(cache_dir: str | Path) -> dict[str, Any] | None:
    """The cache's content while everything it depends on is unchanged, else ``None``."""
    if not _enabled():
        return None
    try:
        with open(cache_file(cache_dir), encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("environment") != _environment() or any(_stat(f[0]) != f for f in data["files"]):
            return None
        return data  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing or damaged: discover again


def cached_commands(cache_dir: str | Path) -> list[dict[str, str]] | None:
    """The plugins' CLI commands from a valid cache, else ``None``; for ``stackyard --help``.

    Reads the file without importing the rest of the plugin layer.
    """
    data = _read(cache_dir)
    return None if data is None else [c for plugin in data["plugins"] for c in plugin["commands"]]


def load(cache_dir: Path) -> PluginRegistry | None:
    """The cached registry, or ``None`` if there is none or anything it depends on changed."""
    from stackyard.plugins.records import Flavor, PluginInfo
    from stackyard.plugins.registry import PluginRegistry

    data = _read(cache_dir)
    if data is None:
        return None
    try:
        registry = PluginRegistry()
        registry.files = [entry[0] for entry in data["files"]]
        registry.plugins = [PluginInfo.from_dict(raw) for raw in data["plugins"]]
        for row in data["flavors"]:
            registry.add_flavor(Flavor.from_row(row))
        return registry
    except (ValueError, KeyError, TypeError):
        return None


def save(registry: PluginRegistry, cache_dir: Path) -> None:
    """Write the registry to the cache (best effort: a read-only config dir just means no cache).

    A registry with a failed plugin is not cached: a failing module may never
    have been imported, so its fix could not be noticed; broken plugins are
    rediscovered on every command until they load.
    """
    if not _enabled() or any(p.status == "failed" for p in registry.plugins):
        return
    data = {
        "environment": _environment(),
        "files": [_stat(path) for path in registry.files],
        "plugins": [info.to_dict() for info in registry.plugins],
        "flavors": [flavor.to_row() for flavor in registry.all_flavors()],
    }
    try:
        from pathlib import Path

        from stackyard.files import write_text_atomic

        write_text_atomic(Path(cache_file(cache_dir)), json.dumps(data, separators=(",", ":")), durable=False)
    except OSError:
        pass
