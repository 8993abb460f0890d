"""The feature store base abstraction."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from stackyard.enums import StackComponentType
from stackyard.stack.stack_component import StackComponent


class BaseFeatureStore(StackComponent):
    """Serves features: historical ones for training, online ones for inference."""

    TYPE: ClassVar[StackComponentType] = StackComponentType.FEATURE_STORE

    @abstractmethod
    def get_historical_features(self, entity_df: Any, features: Sequence[str]) -> Any:
        """Point-in-time correct feature values for the entities and timestamps in ``entity_df``."""

    @abstractmethod
    def get_online_features(
        self, entity_rows: Sequence[dict[str, Any]], features: Sequence[str]
    ) -> dict[str, list[Any]]:
        """Latest feature values for ``entity_rows``, by feature name."""
