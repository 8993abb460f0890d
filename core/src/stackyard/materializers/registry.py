"""Choosing a materializer for a type: built-ins first, plugins' ``stackyard_materializers`` on top.

Types are matched along the value's MRO, so a subclass uses its parent's
materializer unless it has its own. Types named by string (``"numpy.ndarray"``)
are resolved only once their library has been imported by someone else, so
registering never imports numpy or pandas. Anything unmatched is pickled.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from typing import Any

from stackyard.exceptions import MaterializerError
from stackyard.plugins.classes import import_object
from stackyard.materializers.base_materializer import BaseMaterializer, materializer_path
from stackyard.materializers.builtin import (
    BuiltInMaterializer,
    BytesMaterializer,
    PathMaterializer,
    PickleMaterializer,
)

logger = logging.getLogger("stackyard")


class MaterializerRegistry:
    """Materializer classes by the types they handle."""

    def __init__(self) -> None:
        self._by_type: dict[type, type[BaseMaterializer]] = {}
        self._by_name: dict[str, type[BaseMaterializer]] = {}  # "pkg.Class" not resolved yet
        self._by_path: dict[str, type[BaseMaterializer]] = {}
        self._lookups: dict[type, type[BaseMaterializer]] = {}
        self._resolving = threading.Lock()  # steps of a threaded orchestrator look types up at once
        self.errors: list[str] = []
        """Problems with plugin materializers (each one skipped, never fatal)."""

    def register(self, cls: type[BaseMaterializer], *, replace: bool = True) -> None:
        """Make ``cls`` the materializer of its ``ASSOCIATED_TYPES`` (``replace=False`` keeps earlier ones)."""
        if not (isinstance(cls, type) and issubclass(cls, BaseMaterializer)):
            raise MaterializerError(
                f"{cls!r} is not a materializer; subclass stackyard.materializers.BaseMaterializer."
            )
        self._by_path[materializer_path(cls)] = cls
        for associated in cls.ASSOCIATED_TYPES:
            table: dict[Any, type[BaseMaterializer]] = self._by_name if isinstance(associated, str) else self._by_type
            if replace or associated not in table:
                table[associated] = cls
        self._lookups.clear()

    def remember(self, cls: type[BaseMaterializer]) -> None:
        """Make :meth:`get` find ``cls`` by its path without registering it for any type."""
        self._by_path.setdefault(materializer_path(cls), cls)

    def for_type(self, data_type: type) -> type[BaseMaterializer]:
        """The materializer for values of ``data_type`` (the pickle fallback if none matches)."""
        found = self._lookups.get(data_type)
        if found is None:
            with self._resolving:  # else one thread may pick the fallback while another moves a named type over
                self._resolve_named()
                found = next((self._by_type[t] for t in data_type.__mro__ if t in self._by_type), PickleMaterializer)
                self._lookups[data_type] = found
        return found

    def _resolve_named(self) -> None:
        for name in [n for n in self._by_name if n.partition(".")[0] in sys.modules]:
            cls = self._by_name.pop(name)
            try:
                resolved = import_object(name)
            except Exception:  # noqa: BLE001 - a wrong name only means the type never matches
                logger.debug("Materializer %s names a type that cannot be imported: %s", cls.__name__, name)
                continue
            self._by_type.setdefault(resolved, cls)

    def get(self, path: str) -> type[BaseMaterializer]:
        """A materializer class by its recorded import path (importing it if needed)."""
        cls = self._by_path.get(path)
        if cls is None:
            try:
                cls = import_object(path)
            except Exception as exc:  # noqa: BLE001
                raise MaterializerError(
                    f"The materializer {path} cannot be imported ({exc}); install the package that provides it."
                ) from None
            if not (isinstance(cls, type) and issubclass(cls, BaseMaterializer)):
                raise MaterializerError(f"{path} is not a materializer class.")
        return cls


def _builtin_materializers() -> list[type[BaseMaterializer]]:
    result: list[type[BaseMaterializer]] = [BuiltInMaterializer, BytesMaterializer, PathMaterializer]
    if importlib.util.find_spec("numpy") is not None:
        from stackyard.materializers.numpy_materializer import NumpyMaterializer

        result.append(NumpyMaterializer)
    if importlib.util.find_spec("pandas") is not None:
        from stackyard.materializers.pandas_materializer import PandasMaterializer

        result.append(PandasMaterializer)
    return result


def _plugin_materializers(registry: MaterializerRegistry) -> list[type[BaseMaterializer]]:
    """The installed plugins' materializer classes, imported from the paths discovery recorded."""
    from stackyard.plugins import get_registry
    from stackyard.profiles import config_dir

    plugins = get_registry(config_dir() / "cache")
    for info in plugins.plugins:  # a broken hook was recorded by discovery; say so here too
        registry.errors.extend(f"{info.package}: {e}" for e in info.errors if e.startswith("stackyard_materializers"))
    result = []
    for path in plugins.materializers():
        try:
            result.append(import_object(path))
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop a pipeline
            registry.errors.append(str(exc))
            logger.warning("Skipping a plugin materializer: %s", exc)
    return result


_registry: MaterializerRegistry | None = None


def get_materializer_registry() -> MaterializerRegistry:
    """The materializers of this process: built-ins, then installed plugins' (which may override)."""
    global _registry
    if _registry is None:
        registry = MaterializerRegistry()
        for cls in _builtin_materializers():
            registry.register(cls)
        for cls in _plugin_materializers(registry):
            try:
                registry.register(cls, replace=True)
            except MaterializerError as exc:
                registry.errors.append(str(exc))
                logger.warning("Skipping a plugin materializer: %s", exc)
        _registry = registry
    return _registry


def reset_materializer_registry() -> None:
    """Forget the registered materializers (after installing a plugin, or in tests)."""
    global _registry
    _registry = None
