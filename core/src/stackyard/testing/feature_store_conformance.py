"""The feature store conformance suite: online and historical reads, directly and from a pipeline step.

A feature store needs data the suite cannot invent, so besides the
``feature_store`` fixture (an instance whose features are applied and
materialized) a flavor's tests provide a ``feature_case``: a
:class:`FeatureCase` naming features, entities and the values a user must get::

    class TestMyFeatureStore(FeatureStoreConformance):
        @pytest.fixture
        def feature_store(self, my_repo):
            return MyFeatureStore(name="features", repo_path=str(my_repo))

        @pytest.fixture
        def feature_case(self):
            return FeatureCase(features=["driver_stats:trips"], entity_rows=[{"driver_id": 1}], ...)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pytest

from stackyard.feature_stores import BaseFeatureStore
from stackyard.pipelines import pipeline, step
from stackyard.testing.conformance import _PipelineSuite

if TYPE_CHECKING:
    from stackyard.stack.stack import Stack


@attrs.frozen
class FeatureCase:
    """What a feature store holds, and what reading it must give."""

    features: Sequence[str]
    """Feature references as the store takes them (``"driver_stats:trips"``)."""
    entity_rows: Sequence[Mapping[str, Any]]
    """Entities for an online read (``[{"driver_id": 1001}, ...]``)."""
    online: Mapping[str, Sequence[Any]]
    """The latest values an online read of ``entity_rows`` gives, by the column names the store returns."""
    missing_entity_row: Mapping[str, Any]
    """An entity the store has no data for: its features read as ``None``."""
    entity_df: Any
    """Entities with event timestamps for a historical read (a pandas DataFrame)."""
    historical: Sequence[Mapping[str, Any]]
    """The rows a historical read of ``entity_df`` gives (the entity_df's columns plus the features), any order."""


@step
def read_online(entity_rows: list, features: list) -> dict:
    """Reads online features through the stack's feature store, as an inference step would."""
    from stackyard.pipelines.step_context import get_step_context

    store = get_step_context().stack.feature_store
    assert store is not None, "the stack has no feature store"
    return dict(store.get_online_features(entity_rows, features))


@pipeline
def online_features(entity_rows: list, features: list):
    read_online(entity_rows=entity_rows, features=features)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


class FeatureStoreConformance(_PipelineSuite):
    """Checks that a feature store flavor serves the latest values online and point-in-time values historically.

    Provide ``feature_store`` (ready to read: features applied and materialized)
    and ``feature_case`` (a :class:`FeatureCase` describing its data).
    """

    @pytest.fixture
    def feature_store(self) -> BaseFeatureStore:
        pytest.fail("Define a `feature_store` fixture returning an instance of your feature store flavor.")

    @pytest.fixture
    def feature_case(self) -> FeatureCase:
        pytest.fail("Define a `feature_case` fixture returning a FeatureCase that describes the store's data.")

    @pytest.fixture
    def component(self, feature_store: BaseFeatureStore) -> BaseFeatureStore:
        return feature_store

    def test_is_a_feature_store_flavor(self, feature_store: BaseFeatureStore) -> None:
        assert isinstance(feature_store, BaseFeatureStore)

    def test_online_features_are_the_latest_values(self, feature_store: BaseFeatureStore, feature_case: FeatureCase) -> None:
        result = feature_store.get_online_features(list(feature_case.entity_rows), list(feature_case.features))
        for column, expected in feature_case.online.items():
            assert column in result, f"online read has no column {column!r}; it has {sorted(result)}"
            assert list(result[column]) == list(expected), column

    def test_an_unknown_entity_reads_as_none(self, feature_store: BaseFeatureStore, feature_case: FeatureCase) -> None:
        result = feature_store.get_online_features([dict(feature_case.missing_entity_row)], list(feature_case.features))
        names = [reference.split(":")[-1] for reference in feature_case.features]
        for name in names:
            assert list(result[name]) == [None], f"{name} of an entity without data"

    def test_historical_features_are_point_in_time_correct(
        self, feature_store: BaseFeatureStore, feature_case: FeatureCase
    ) -> None:
        frame = feature_store.get_historical_features(feature_case.entity_df, list(feature_case.features))
        rows = frame.to_dict("records")
        assert len(rows) == len(feature_case.historical)
        keys = list(feature_case.entity_df.columns)
        for expected in feature_case.historical:
            matches = [row for row in rows if all(_same(row[key], expected[key]) for key in keys)]
            assert len(matches) == 1, f"no single row for {[expected[k] for k in keys]} in {rows}"
            for column, value in expected.items():
                assert _same(matches[0][column], value), f"{column} for {[expected[k] for k in keys]}"

    def test_a_step_reads_features_through_the_stack(self, conformance_stack: Stack, feature_case: FeatureCase) -> None:
        run = online_features(entity_rows=[dict(r) for r in feature_case.entity_rows],
                              features=list(feature_case.features)).run(
            stack=conformance_stack, run_name=self.run_name()
        )
        read = run.get_step("read_online").output.read()
        for column, expected in feature_case.online.items():
            assert list(read[column]) == list(expected), column

    def test_an_unknown_feature_is_refused_by_name(self, feature_store: BaseFeatureStore, feature_case: FeatureCase) -> None:
        view = feature_case.features[0].split(":")[0]
        with pytest.raises(Exception) as caught:
            feature_store.get_online_features(list(feature_case.entity_rows), [f"{view}:no_such_feature"])
        assert "no_such_feature" in str(caught.value), f"the error does not name the feature: {caught.value}"
