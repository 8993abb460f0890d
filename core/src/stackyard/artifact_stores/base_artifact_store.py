"""The artifact store base abstraction: a file system rooted at ``path``."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import IO, Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseArtifactStore(StackComponent):
    """Stores the artifacts pipelines produce, under ``path``.

    A flavor declares the URI schemes it serves in ``SUPPORTED_SCHEMES``
    (``{""}`` for plain local paths, ``{"s3://"}`` for S3, ...) and implements
    the file operations below for paths inside its store.
    """

    TYPE: ClassVar[StackComponentType] = StackComponentType.ARTIFACT_STORE
    SUPPORTED_SCHEMES: ClassVar[set[str]]

    path: str
    """Root of the store: a folder or a URI with one of the flavor's SUPPORTED_SCHEMES."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        schemes = getattr(type(self), "SUPPORTED_SCHEMES", None)
        if schemes is None:
            return
        if "" in schemes and "://" not in self.path:
            return
        if not any(s and self.path.startswith(s) for s in schemes):
            shown = ", ".join(repr(s) if s else "a local path" for s in sorted(schemes))
            raise ValueError(
                f"path: '{self.path}' is not supported by the {self.FLAVOR} artifact store; "
                f"use {shown}"
            )

    @abstractmethod
    def open(self, path: str, mode: str = "r") -> IO[Any]:
        """Open a file for reading or writing: mode ``r``, ``rb``, ``w`` or ``wb``; writing creates parent folders."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether a file or folder exists at ``path``."""

    @abstractmethod
    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a folder."""

    @abstractmethod
    def listdir(self, path: str) -> list[str]:
        """Names (not paths) of the entries of folder ``path``, sorted."""

    @abstractmethod
    def makedirs(self, path: str) -> None:
        """Create folder ``path`` and its parents; no error if it exists."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Delete the file at ``path`` (``FileNotFoundError`` if missing)."""

    @abstractmethod
    def rmtree(self, path: str) -> None:
        """Delete folder ``path`` and everything in it."""

    @abstractmethod
    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        """Move ``src`` to ``dst`` (``FileExistsError`` if it exists, unless ``overwrite``)."""

    @abstractmethod
    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        """Copy file ``src`` to ``dst`` (``FileExistsError`` if it exists, unless ``overwrite``)."""

    @abstractmethod
    def glob(self, pattern: str) -> list[str]:
        """Paths matching a glob ``pattern``, sorted."""

    @abstractmethod
    def size(self, path: str) -> int:
        """Size in bytes of the file at ``path``."""

    @abstractmethod
    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        """Like :func:`os.walk`: ``(folder, subfolders, files)`` for every folder under ``top``."""
