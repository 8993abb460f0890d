"""Feature stores: serve features for training and inference."""

from stackyard.feature_stores.base_feature_store import BaseFeatureStore

__all__ = ["BaseFeatureStore"]
