"""The materializer base class: writes one value into an artifact folder and reads it back."""

from __future__ import annotations

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
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ()
    VERSION: ClassVar[int] = 1

    def __init__(self, uri: str, artifact_store: BaseArtifactStore) -> None:
        self.uri = uri
        self.artifact_store = artifact_store
        self.metadata: dict[str, Any] = {}

    def path(self, name: str) -> str:
        """The path of the file ``name`` inside this artifact's folder."""
        return f"{self.uri}/{name}"

    def open(self, name: str, mode: str = "rb") -> IO[Any]:
        """Open the file ``name`` inside this artifact's folder through the artifact store."""
        return self.artifact_store.open(self.path(name), mode)

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
