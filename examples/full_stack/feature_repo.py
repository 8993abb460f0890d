"""A tiny Feast feature repository, written from data this module generates.

Customers of a shop, seen on two days: how many orders they placed last
month, their average basket and how many days they have been idle. The
labels (did the customer churn?) were observed at noon on the first day,
so a training set must use the first day's values: Feast's point-in-time
join does that. The online store holds the second day's values, the latest.

The data is generated from a fixed seed, so every run writes the same files.
"""

from __future__ import annotations

import warnings

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DAY1 = datetime(2026, 1, 1, tzinfo=timezone.utc)
DAY2 = DAY1 + timedelta(days=1)
CUSTOMERS = list(range(1001, 1201))
FEATURE_COLUMNS = ["orders", "basket", "days_idle"]
FEATURES = [f"customer_stats:{column}" for column in FEATURE_COLUMNS]

FEATURE_STORE_YAML = """\
project: shop
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: file
entity_key_serialization_version: 3
"""


def write_repo(folder: Path) -> Path:
    """Write ``feature_store.yaml`` and the generated data into ``folder``; return the labels file."""
    import numpy as np
    import pandas as pd

    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (folder / "feature_store.yaml").write_text(FEATURE_STORE_YAML, encoding="utf-8")

    rng = np.random.default_rng(7)
    days = []
    for day in (DAY1, DAY2):
        days.append(pd.DataFrame({
            "customer_id": CUSTOMERS,
            "event_timestamp": day,
            "orders": rng.poisson(4, len(CUSTOMERS)),
            "basket": rng.gamma(4.0, 12.5, len(CUSTOMERS)).round(2),
            "days_idle": rng.integers(0, 40, len(CUSTOMERS)),
        }))
    stats = pd.concat(days, ignore_index=True)
    stats.to_parquet(data / "customer_stats.parquet")

    first = days[0]
    churned = (first["days_idle"] > 20) & (first["orders"] < 4)
    noise = rng.random(len(CUSTOMERS)) < 0.05  # a few customers do the unexpected
    labels = pd.DataFrame({
        "customer_id": CUSTOMERS,
        "event_timestamp": DAY1 + timedelta(hours=12),
        "churned": (churned ^ noise).astype(int),
    })
    labels_path = data / "labels.parquet"
    labels.to_parquet(labels_path)
    return labels_path


def definitions(folder: Path) -> list[Any]:
    """The Feast objects of the repository: the customer entity and its feature view."""
    # Importing feast turns on every library's DeprecationWarning for the whole process
    # (warnings.simplefilter); keep this script's warning filters as they were.
    with warnings.catch_warnings():
        from feast import Entity, FeatureView, Field, FileSource, ValueType
        from feast.types import Float64, Int64

    customer = Entity(name="customer", join_keys=["customer_id"], value_type=ValueType.INT64)
    customer_stats = FeatureView(
        name="customer_stats",
        entities=[customer],
        ttl=timedelta(days=30),
        schema=[Field(name="orders", dtype=Int64), Field(name="basket", dtype=Float64),
                Field(name="days_idle", dtype=Int64)],
        source=FileSource(path=str(folder / "data" / "customer_stats.parquet"), timestamp_field="event_timestamp"),
    )
    return [customer, customer_stats]


def apply_and_materialize(feature_store: Any, folder: Path) -> None:
    """Register the definitions in the repository and load both days into the online store."""
    feature_store.apply(definitions(folder))
    feature_store.materialize(start_date=DAY1 - timedelta(days=1), end_date=DAY2 + timedelta(days=1))
