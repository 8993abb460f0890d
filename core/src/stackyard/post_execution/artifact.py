"""A recorded artifact, readable back into a Python value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.post_execution.run import StoreContext


class ArtifactView:
    """One artifact: where it is, what type it had, which materializer wrote it."""

    def __init__(self, record: Mapping[str, Any], context: StoreContext) -> None:
        self._record = dict(record)
        self._context = context

    @property
    def id(self) -> str:
        """The artifact's id."""
        return str(self._record["id"])

    @property
    def name(self) -> str:
        """The input or output name it has for the step it was read from."""
        return str(self._record.get("name", ""))

    @property
    def uri(self) -> str:
        """Its folder in the artifact store."""
        return str(self._record["uri"])

    @property
    def data_type(self) -> str:
        """The import path of the value's type, e.g. ``builtins.int``."""
        return str(self._record.get("data_type") or "")

    @property
    def materializer(self) -> str:
        """The import path of the materializer that wrote it."""
        return str(self._record.get("materializer") or "")

    @property
    def size(self) -> int | None:
        """Bytes it takes in the artifact store."""
        return self._record.get("size")

    @property
    def content_hash(self) -> str | None:
        """SHA-256 of its files (``None`` for very large artifacts)."""
        return self._record.get("content_hash")

    @property
    def producer_step_id(self) -> str | None:
        """The id of the step that wrote it."""
        return self._record.get("producer_step_id")

    @property
    def warnings(self) -> list[str]:
        """Warnings recorded when it was written (e.g. it was pickled)."""
        return list((self._record.get("extra") or {}).get("warnings", ()))

    def read(self, artifact_store: BaseArtifactStore | None = None) -> Any:
        """Load the value with the materializer that wrote it."""
        from stackyard.pipelines.artifacts import read_artifact

        return read_artifact(artifact_store or self._context.artifact_store_for(self.uri), self._record)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for ``--output json``)."""
        data = {k: self._record.get(k) for k in ("id", "name", "uri", "data_type", "materializer", "size", "content_hash")}
        data["warnings"] = self.warnings
        return data

    def __repr__(self) -> str:
        return f"ArtifactView(uri={self.uri!r}, data_type={self.data_type!r})"
