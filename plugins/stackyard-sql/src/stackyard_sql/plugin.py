"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_metadata_store_flavors() -> list[type]:
    from stackyard_sql.metadata_store import SQLMetadataStore

    return [SQLMetadataStore]
