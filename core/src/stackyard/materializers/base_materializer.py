"""The materializer base class: writes one value into an artifact folder and reads it back."""

from __future__ import annotations

import codecs
import hashlib
import threading
from typing import IO, TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore


class BaseMaterializer:
    """Stores values of its ``ASSOCIATED_TYPES`` in the folder ``uri`` of an artifact store.

    A subclass lists the types it handles — classes, or ``"package.Class"``
    strings for types of libraries that should not be imported just to register
    (they are resolved once that library is imported) — and implements
    :meth:`save` and :meth:`load` with the artifact store's file API
    (:meth:`open`), so it works on every artifact store flavor. Bump
    ``VERSION`` when the stored format changes: cached steps are re-run.
    Anything put in ``self.metadata`` while saving is recorded on the
    artifact and given back before loading.

    When a step output is written, files opened with :meth:`open` in mode
    ``w`` or ``wb`` are hashed as the bytes go through, so the artifact's
    content hash costs no second read. A file written any other way (by
    path, appended, patched) is read back to be hashed instead.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()
    VERSION: ClassVar[int] = 1

    def __init__(self, uri: str, artifact_store: BaseArtifactStore) -> None:
        self.uri = uri
        self.artifact_store = artifact_store
        self.metadata: dict[str, Any] = {}
        self.written: dict[str, WrittenFile | None] | None = None
        """Set to a dict by whoever wants written files hashed: relative name -> what was written
        (``None``: written in a way that cannot be followed; read it back to hash it)."""
        self.hash_limit = 0
        """Stop hashing a file past this many bytes (the artifact will not be hashed at all)."""

    def path(self, name: str) -> str:
        """The path of the file ``name`` inside this artifact's folder."""
        return f"{self.uri}/{name}"

    def open(self, name: str, mode: str = "rb") -> IO[Any]:
        """Open the file ``name`` inside this artifact's folder through the artifact store."""
        file = self.artifact_store.open(self.path(name), mode)
        if self.written is None or not any(flag in mode for flag in "wax+"):
            return file
        key = name.replace("\\", "/").strip("/")
        if mode.replace("t", "") in ("w", "wb"):
            return HashingWriter(file, key, self.written, self.hash_limit, text="b" not in mode)  # type: ignore[return-value]
        self.written[key] = None  # appended or patched in place: hash what ends up in the file
        return file

    def warn(self, message: str) -> None:
        """Record a warning on the artifact (shown by ``run-describe``, logged once)."""
        self.metadata.setdefault("warnings", []).append(message)

    def save(self, data: Any) -> None:
        """Write ``data`` into the artifact folder."""
        raise NotImplementedError(f"{type(self).__name__} does not implement save()")

    def load(self, data_type: type | None) -> Any:
        """Read the value back; ``data_type`` is the type it had when saved (if importable)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement load()")


def materializer_path(cls: type) -> str:
    """The import path recorded for a materializer class, e.g. ``pkg.module.Class``."""
    return f"{cls.__module__}.{cls.__qualname__}"


class WrittenFile:
    """What went through a :class:`HashingWriter`: the byte count and its SHA-256 (``None`` past the limit)."""

    __slots__ = ("size", "sha256")

    def __init__(self, size: int, sha256: str | None) -> None:
        self.size = size
        self.sha256 = sha256

    def __repr__(self) -> str:
        return f"WrittenFile(size={self.size}, sha256={self.sha256!r})"


_STATELESS_ENCODINGS = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1"})
_THREADED_HASH = 1024 * 1024
"""Writes at least this large are hashed in a second thread while the file writes them."""


class HashingWriter:
    """A file opened for writing that updates a SHA-256 with every byte written through it.

    Everything but writing is passed to the wrapped file. On close it records
    a :class:`WrittenFile` under its name in ``written``, or ``None`` if the
    bytes on disk cannot be known from what went through (a seek, a
    truncate, a short write, a text encoding with state). Past ``limit``
    bytes it stops hashing. Large writes are hashed in a second thread while
    they are written (``hashlib`` and file writes both release the GIL).
    """

    def __init__(self, file: IO[Any], name: str, written: dict[str, WrittenFile | None], limit: int, *, text: bool) -> None:
        self._file = file
        self._name = name
        self._written = written
        self._limit = limit
        self._text = text
        self._size = 0
        self._digest: Any = hashlib.sha256()
        self._followed = True
        self._closed = False
        if text:
            encoding = getattr(file, "encoding", None)
            self._encoding = encoding
            self._errors = getattr(file, "errors", None) or "strict"
            try:
                self._followed = encoding is not None and codecs.lookup(encoding).name in _STATELESS_ENCODINGS
            except LookupError:
                self._followed = False

    def write(self, data: Any) -> int:
        if not self._followed:
            return self._file.write(data)  # type: ignore[no-any-return]
        if self._text:
            view = memoryview(data.encode(self._encoding, self._errors))
            expected = len(data)
        else:
            view = memoryview(data)
            if not view.c_contiguous:
                view = memoryview(view.tobytes())
            expected = view.nbytes
        size = view.nbytes
        if self._digest is not None and self._size + size > self._limit:
            self._digest = None  # too large to hash: the artifact will not get a content hash
        if self._digest is not None and size >= _THREADED_HASH:
            hasher = threading.Thread(target=self._digest.update, args=(view,), daemon=True)
            hasher.start()
            try:
                count = self._file.write(data)
            finally:
                hasher.join()
        else:
            count = self._file.write(data)
            if self._digest is not None:
                self._digest.update(view)
        self._size += size
        if count is not None and count != expected:
            self._followed = False  # a short write: the caller writes the rest again
        return count if count is not None else expected

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def seek(self, *args: Any) -> int:
        self._followed = False
        return self._file.seek(*args)

    def truncate(self, *args: Any) -> int:
        self._followed = False
        return self._file.truncate(*args)

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            if not self._closed:
                self._closed = True
                self._written[self._name] = (
                    WrittenFile(self._size, self._digest.hexdigest() if self._digest is not None else None)
                    if self._followed
                    else None
                )

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __repr__(self) -> str:
        return f"<HashingWriter {self._name!r} of {self._file!r}>"
