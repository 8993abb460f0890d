"""The fsspec artifact store."""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from stackyard.artifact_stores import BaseArtifactStore


class FsspecArtifactStore(BaseArtifactStore):
    """Keeps artifacts in a folder (replace the file operations with your storage's)."""

    FLAVOR: ClassVar[str] = "fsspec"
    SUPPORTED_SCHEMES: ClassVar[set[str]] = {""}

    chunk_size: int = 1024 * 1024
    """Bytes copied at a time by copyfile (an example parameter)."""

    def open(self, path: str, mode: str = "r") -> IO[Any]:
        if "w" in mode:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
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
        shutil.rmtree(path)

    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)

    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as source, open(dst, "wb") as target:
            shutil.copyfileobj(source, target, self.chunk_size)

    def glob(self, pattern: str) -> list[str]:
        return sorted(glob.glob(pattern))

    def size(self, path: str) -> int:
        return os.path.getsize(path)

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            yield folder, dirs, sorted(files)
