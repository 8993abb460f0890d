"""Materializers for Python's own types: JSON where it round-trips exactly, else pickle."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, ClassVar

from stackyard.materializers.base_materializer import BaseMaterializer

_JSON_FILE = "data.json"
_PICKLE_FILE = "data.pickle"
_SCALARS = (type(None), bool, int, float, str)


def json_round_trips(value: Any, top: bool = True) -> bool:
    """Whether ``value`` comes back from JSON equal and of the same types.

    Only ``None``, ``bool``, ``int``, ``float``, ``str``, lists and ``str``-keyed
    dicts of those do; a tuple only at the top level (its type is recorded).
    """
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list or (top and kind is tuple):
        return all(json_round_trips(item, False) for item in value)
    if kind is dict:
        return all(type(k) is str and json_round_trips(v, False) for k, v in value.items())
    return False


class BuiltInMaterializer(BaseMaterializer):
    """``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple`` and ``dict`` as JSON.

    A container holding something JSON cannot give back exactly (a tuple
    inside a list, a dict with int keys, a custom object) is pickled, with a
    warning on the artifact.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = (type(None), bool, int, float, str, list, tuple, dict)

    def save(self, data: Any) -> None:
        if json_round_trips(data):
            text = json.dumps(data)  # one write: json.dump writes (and the artifact hashes) piece by piece
            with self.open(_JSON_FILE, "w") as f:
                f.write(text)
            return
        self.warn(
            f"This {type(data).__name__} does not round-trip through JSON exactly, so it was "
            "stored with pickle, which may not load in another Python or library version."
        )
        with self.open(_PICKLE_FILE, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, data_type: type | None) -> Any:
        try:
            with self.open(_JSON_FILE, "r") as f:
                value = json.load(f)
        except FileNotFoundError:
            with self.open(_PICKLE_FILE, "rb") as f:
                return pickle.load(f)
        if data_type is tuple:
            return tuple(value)
        return value


class BytesMaterializer(BaseMaterializer):
    """``bytes`` as a raw file."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = (bytes,)

    def save(self, data: bytes) -> None:
        with self.open("data.bin", "wb") as f:
            f.write(data)

    def load(self, data_type: type | None) -> bytes:
        with self.open("data.bin", "rb") as f:
            return f.read()


class PickleMaterializer(BaseMaterializer):
    """The fallback for types no materializer handles: pickle, with a warning on the artifact."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()

    def save(self, data: Any) -> None:
        kind = type(data)
        self.warn(
            f"No materializer handles {kind.__module__}.{kind.__qualname__}; it was stored with "
            "pickle, which may not load in another Python or library version. Register a "
            "materializer for it through the stackyard_materializers hook."
        )
        with self.open(_PICKLE_FILE, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, data_type: type | None) -> Any:
        with self.open(_PICKLE_FILE, "rb") as f:
            return pickle.load(f)


class PathMaterializer(BaseMaterializer):
    """A local file or folder (a ``pathlib.Path``), copied into the artifact.

    Reading gives a path to the stored copy itself on a local artifact store
    (treat it as read-only), or to a fresh local copy on a remote one.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = (Path,)

    def save(self, data: Path) -> None:
        import shutil

        source = Path(data)
        if not source.exists():
            raise FileNotFoundError(f"The step returned the path {source}, which does not exist.")
        self.metadata["kind"] = "folder" if source.is_dir() else "file"
        self.metadata["name"] = source.name
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        if source.is_dir():
            self.artifact_store.makedirs(self.path(source.name))
        for file in files:
            relative = file.relative_to(source.parent).as_posix()
            with file.open("rb") as src, self.open(relative, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)

    def load(self, data_type: type | None) -> Path:
        import shutil
        import tempfile

        (name,) = self.artifact_store.listdir(self.uri)
        if "://" not in self.uri:
            return Path(self.uri) / name
        target = Path(tempfile.mkdtemp(prefix="stackyard-artifact-"))
        for folder, _dirs, files in self.artifact_store.walk(self.uri):
            relative = folder[len(self.uri):].lstrip("/")
            (target / relative).mkdir(parents=True, exist_ok=True)
            for file in files:
                with self.artifact_store.open(f"{folder}/{file}", "rb") as src, (target / relative / file).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
        return target / name
