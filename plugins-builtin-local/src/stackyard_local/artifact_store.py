"""An artifact store on the local file system."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from stackyard.artifact_stores import BaseArtifactStore


class LocalArtifactStore(BaseArtifactStore):
    """Keeps artifacts in a folder on this machine."""

    FLAVOR: ClassVar[str] = "local"
    IS_LOCAL: ClassVar[bool] = True  # on this machine's disk: remote workers cannot reach it
    SUPPORTED_SCHEMES: ClassVar[set[str]] = {""}

    @classmethod
    def create_default(cls, name: str, local_stores_path: str) -> LocalArtifactStore:
        """A store in its own folder under the global config directory."""
        from uuid import uuid4

        uuid = uuid4()
        return cls(name=name, uuid=uuid, path=str(Path(local_stores_path) / str(uuid)))

    def open(self, path: str, mode: str = "r") -> IO[Any]:
        if any(flag in mode for flag in "wa"):
            _make_parent(path)
        return open(path, mode)  # noqa: SIM115 - the caller closes it

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def remove(self, path: str) -> None:
        os.remove(path)

    def rmtree(self, path: str) -> None:
        import shutil  # not at import time: registering a component needs none of it

        shutil.rmtree(path)

    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        if not overwrite and os.path.exists(dst):
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)

    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        if not overwrite and os.path.exists(dst):
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        import shutil

        shutil.copyfile(src, dst)

    def glob(self, pattern: str) -> list[str]:
        import glob  # not at import time, like shutil

        return sorted(glob.glob(pattern))

    def size(self, path: str) -> int:
        return os.path.getsize(path)

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            yield folder, dirs, sorted(files)


def _make_parent(path: str) -> None:
    """Create the folder ``path`` goes in: one ``mkdir`` when only the last level is new (a new artifact's folder)."""
    parent = os.path.dirname(path)
    if not parent:
        return
    try:
        os.mkdir(parent)
    except FileExistsError:
        if not os.path.isdir(parent):
            raise
    except FileNotFoundError:
        os.makedirs(parent, exist_ok=True)
