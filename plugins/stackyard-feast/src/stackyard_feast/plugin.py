"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_feature_store_flavors() -> list[type]:
    from stackyard_feast.feature_store import FeastFeatureStore

    return [FeastFeatureStore]
