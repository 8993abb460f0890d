"""One tiny Feast feature repository per test session: written, applied and materialized once (Feast is slow to import)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

UTC = timezone.utc
DAY1 = datetime(2026, 1, 1, tzinfo=UTC)
DAY2 = datetime(2026, 1, 2, tzinfo=UTC)

FEATURE_STORE_YAML = """\
project: stackyard_test
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""

STATS = [  # driver_id, event_timestamp, trips, rating
    (1001, DAY1, 10, 4.5),
    (1001, DAY2, 12, 4.75),
    (1002, DAY1, 3, 3.5),
    (1002, DAY2, 7, 4.25),
]


def write_repository(folder: Path) -> Path:
    """A Feast repository with driver statistics in a parquet file (no .py files: `feast apply` would import them)."""
    import pandas as pd

    (folder / "data").mkdir(parents=True)
    (folder / "feature_store.yaml").write_text(FEATURE_STORE_YAML)
    frame = pd.DataFrame(STATS, columns=["driver_id", "event_timestamp", "trips", "rating"])
    frame["created"] = frame["event_timestamp"]
    frame.to_parquet(folder / "data" / "driver_stats.parquet")
    return folder


def feast_objects(folder: Path) -> list:
    """The entity, source and feature view over the parquet file, as a Feast user defines them."""
    from feast import Entity, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64, Int64

    driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
    source = FileSource(
        path=str(folder / "data" / "driver_stats.parquet"),
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    stats = FeatureView(
        name="driver_stats",
        entities=[driver],
        ttl=timedelta(days=3650),
        schema=[Field(name="trips", dtype=Int64), Field(name="rating", dtype=Float64)],
        source=source,
    )
    return [driver, source, stats]


@pytest.fixture(scope="session")
def feature_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository, applied and materialized into its SQLite online store."""
    from stackyard_feast.feature_store import FeastFeatureStore

    folder = write_repository(tmp_path_factory.mktemp("feature_repo"))
    store = FeastFeatureStore(name="setup", repo_path=str(folder))
    store.apply(feast_objects(folder))
    store.materialize(start_date=DAY1 - timedelta(days=1), end_date=DAY2 + timedelta(days=1))
    return folder
