"""Materializers: how step outputs of each type are written to and read from an artifact store.

Plugins add types through the ``stackyard_materializers`` hook::

    @hookimpl
    def stackyard_materializers():
        from my_package.materializers import TorchMaterializer
        return [TorchMaterializer]
"""

from stackyard.materializers.base_materializer import BaseMaterializer
from stackyard.materializers.builtin import (
    BuiltInMaterializer,
    BytesMaterializer,
    PathMaterializer,
    PickleMaterializer,
)
from stackyard.materializers.registry import get_materializer_registry, reset_materializer_registry

__all__ = [
    "BaseMaterializer",
    "BuiltInMaterializer",
    "BytesMaterializer",
    "PathMaterializer",
    "PickleMaterializer",
    "get_materializer_registry",
    "reset_materializer_registry",
]
