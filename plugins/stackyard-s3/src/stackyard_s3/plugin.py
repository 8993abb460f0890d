"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_artifact_store_flavors() -> list[type]:
    from stackyard_s3.artifact_store import S3ArtifactStore

    return [S3ArtifactStore]
