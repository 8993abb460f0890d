"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_artifact_store_flavors() -> list[type]:
    from stackyard_example.artifact_store import FsspecArtifactStore

    return [FsspecArtifactStore]
