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

    from stackyard.plugins.records import PluginInfo
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
        "paths": [[entry, _mtime(entry)] for entry in _search_path()],
    }


def _search_path() -> list[str]:
    """The ``sys.path`` folders that hold installed distributions (``*.dist-info``/``*.egg-info``).

    Others — the working directory or a script's folder — cannot add entry
    points, so they stay out of the key and changing them keeps the cache.
    """
    found = []
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        if any(n.endswith((".dist-info", ".egg-info")) for n in names):
            found.append(folder)
    return found


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _file_state(path: str) -> list[Any]:
    try:
        info = os.stat(path)
    except OSError:
        return [path, None, None]
    return [path, info.st_mtime_ns, info.st_size]


def cache_file(cache_dir: str | Path) -> str:
    """Where this Python environment's cache lives in ``cache_dir``."""
    import zlib  # not hashlib: this runs on ``stackyard --help``, and _hashlib loads OpenSSL

    digest = zlib.crc32(f"{sys.executable}\0{sys.prefix}".encode())
    return os.path.join(cache_dir, f"plugins-{digest:08x}.json")


def _read(cache_dir: str | Path) -> dict[str, Any] | None:
    """The cache's content while everything it depends on is unchanged, else ``None``."""
    if not _enabled():
        return None
    try:
        with open(cache_file(cache_dir), encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("environment") != _environment():
            return None
        if any(_file_state(path) != [path, mtime, size] for path, mtime, size in data["files"]):
            return None
        return data  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: discover again


def cached_commands(cache_dir: str | Path) -> list[dict[str, str]] | None:
    """The plugins' CLI commands from a valid cache, else ``None``; for ``stackyard --help``.

    Reads the file without importing the rest of the plugin layer.
    """
    data = _read(cache_dir)
    if data is None:
        return None
    return [command for plugin in data["plugins"] for command in plugin["commands"]]


def load(cache_dir: Path) -> PluginRegistry | None:
    """The cached registry, or ``None`` if there is none or anything it depends on changed."""
    data = _read(cache_dir)
    try:
        return None if data is None else _registry_from(data)
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
        "files": [_file_state(path) for path in registry.files],
        "plugins": [_plugin_to_dict(info, registry) for info in registry.plugins],
    }
    try:
        from pathlib import Path

        from stackyard.files import write_text_atomic

        write_text_atomic(Path(cache_file(cache_dir)), json.dumps(data, separators=(",", ":")), durable=False)
    except OSError:
        pass


def _plugin_to_dict(info: PluginInfo, registry: PluginRegistry) -> dict[str, Any]:
    flavors = [
        {"type": f.type.value, "name": f.name, "source": f.source, "description": f.description}
        for f in registry.all_flavors()
        if f.plugin == info.name and f.package == info.package
    ]
    return {
        "name": info.name,
        "value": info.value,
        "package": info.package,
        "version": info.version,
        "status": info.status,
        "errors": list(info.errors),
        "hooks": list(info.hooks),
        "flavors": flavors,
        "materializers": list(info.materializers),
        "commands": [c.to_dict() for c in info.commands],
    }


def _registry_from(data: dict[str, Any]) -> PluginRegistry:
    from stackyard.enums import StackComponentType
    from stackyard.plugins.records import CliCommand, Flavor, PluginInfo
    from stackyard.plugins.registry import PluginRegistry

    registry = PluginRegistry()
    registry.files = [entry[0] for entry in data["files"]]
    for raw in data["plugins"]:
        info = PluginInfo(raw["name"], raw["value"], raw["package"], raw["version"])
        info.status = raw["status"]
        info.errors = list(raw["errors"])
        info.hooks = list(raw["hooks"])
        info.materializers = list(raw["materializers"])
        info.commands = [CliCommand(**c) for c in raw["commands"]]
        registry.plugins.append(info)
        for entry in raw["flavors"]:
            component_type = StackComponentType(entry["type"])
            info.flavors.append((component_type, entry["name"]))
            registry.add_flavor(
                Flavor(component_type, entry["name"], None, entry["source"], info.package, info.version, info.name, entry["description"])
            )
    return registry
