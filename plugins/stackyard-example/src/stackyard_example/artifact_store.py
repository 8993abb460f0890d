"""The fsspec artifact store: fsspec file systems that have folders (local files, memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, ClassVar

from stackyard.artifact_stores import BaseArtifactStore

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


OBJECT_STORES: dict[str, str] = {
    "s3://": "the 's3' flavor of stackyard-s3 (pip install stackyard-s3)",
    "gs://": "a flavor written for Google Cloud Storage",
    "gcs://": "a flavor written for Google Cloud Storage",
    "az://": "a flavor written for Azure Blob Storage",
    "abfs://": "a flavor written for Azure Blob Storage",
}
"""Object stores fsspec reaches but this flavor does not serve: they have no folders, so ``makedirs``,
``isdir`` and ``rmtree`` of empty folders do not behave as the artifact store contract requires."""


class FsspecArtifactStore(BaseArtifactStore):
    """Keeps artifacts on an fsspec file system with real folders: local paths, file:// and memory://."""

    FLAVOR: ClassVar[str] = "fsspec"
    SUPPORTED_SCHEMES: ClassVar[set[str]] = {"", "file://", "memory://"}

    storage_options: dict[str, str] = {}
    """Options for the file system, e.g. {"skip_instance_cache": "true"}."""

    _fs: Any = None

    def __attrs_post_init__(self) -> None:
        for scheme, instead in OBJECT_STORES.items():
            if self.path.startswith(scheme):
                raise ValueError(
                    f"path: '{self.path}' is an object store, which the fsspec artifact store does not serve "
                    f"(no folders there); use {instead}"
                )
        super().__attrs_post_init__()

    @property
    def filesystem(self) -> AbstractFileSystem:
        """The fsspec file system behind ``path`` (fsspec is imported on first use)."""
        if self._fs is None:
            import fsspec

            protocol = self.path.split("://", 1)[0] if "://" in self.path else "file"
            self._fs = fsspec.filesystem(protocol, **self.storage_options)
        return self._fs

    def _strip(self, path: str) -> str:
        return self.filesystem._strip_protocol(path)  # type: ignore[no-any-return]

    def _unstrip(self, stripped: str, like: str) -> str:
        """Put back the scheme the caller used, so returned paths can be passed back in."""
        if "://" not in like:
            return stripped
        prefix = like[: like.index("://") + 3]
        absolute = like[len(prefix) :].startswith("/")  # file:///tmp/x versus memory://bucket/x
        return prefix + ("/" + stripped.lstrip("/") if absolute else stripped.lstrip("/"))

    def open(self, path: str, mode: str = "r") -> IO[Any]:
        if "w" in mode:
            self.filesystem.makedirs(self.filesystem._parent(self._strip(path)), exist_ok=True)
        return self.filesystem.open(self._strip(path), mode)  # type: ignore[no-any-return]

    def exists(self, path: str) -> bool:
        return bool(self.filesystem.exists(self._strip(path)))

    def isdir(self, path: str) -> bool:
        return bool(self.filesystem.isdir(self._strip(path)))

    def listdir(self, path: str) -> list[str]:
        stripped = self._strip(path)
        if not self.filesystem.isdir(stripped):
            raise FileNotFoundError(path)
        entries = self.filesystem.ls(stripped, detail=False)
        return sorted(entry.rstrip("/").rsplit("/", 1)[-1] for entry in entries)

    def makedirs(self, path: str) -> None:
        self.filesystem.makedirs(self._strip(path), exist_ok=True)

    def remove(self, path: str) -> None:
        stripped = self._strip(path)
        if not self.filesystem.isfile(stripped):
            raise FileNotFoundError(path)
        self.filesystem.rm_file(stripped)

    def rmtree(self, path: str) -> None:
        self.filesystem.rm(self._strip(path), recursive=True)

    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        if not overwrite and self.exists(dst):
            raise FileExistsError(dst)
        self.copyfile(src, dst, overwrite=True)
        self.remove(src)

    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        if not overwrite and self.exists(dst):
            raise FileExistsError(dst)
        target = self._strip(dst)
        self.filesystem.makedirs(self.filesystem._parent(target), exist_ok=True)
        self.filesystem.copy(self._strip(src), target)

    def glob(self, pattern: str) -> list[str]:
        return sorted(self._unstrip(p, pattern) for p in self.filesystem.glob(self._strip(pattern)))

    def size(self, path: str) -> int:
        stripped = self._strip(path)
        if not self.filesystem.isfile(stripped):
            raise FileNotFoundError(path)
        return int(self.filesystem.size(stripped))

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        for folder, dirs, files in self.filesystem.walk(self._strip(top)):
            yield self._unstrip(folder, top), sorted(dirs), sorted(files)
