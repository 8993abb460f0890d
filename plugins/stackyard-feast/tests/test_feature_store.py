"""The feast feature store on a real Feast repository (local provider: parquet offline, SQLite online)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from stackyard import Repository, get_step_context, pipeline, step
from stackyard.testing import FeatureCase, FeatureStoreConformance
from stackyard.testing.assertions import modules_imported_by
from stackyard_feast.feature_store import FeastFeatureStore, FeastFeatureStoreError

UTC = timezone.utc
FEATURES = ["driver_stats:trips", "driver_stats:rating"]


def entity_df():
    import pandas as pd

    return pd.DataFrame(
        {
            "driver_id": [1001, 1002, 1001],
            "event_timestamp": [
                datetime(2026, 1, 1, 12, tzinfo=UTC),  # between the two rows of 1001: the first one's values
                datetime(2026, 1, 2, 6, tzinfo=UTC),
                datetime(2026, 1, 3, tzinfo=UTC),
            ],
        }
    )


class TestFeastConformance(FeatureStoreConformance):
    @pytest.fixture
    def feature_store(self, feature_repo: Path) -> FeastFeatureStore:
        return FeastFeatureStore(name="features", repo_path=str(feature_repo))

    @pytest.fixture
    def feature_case(self) -> FeatureCase:
        return FeatureCase(
            features=FEATURES,
            entity_rows=[{"driver_id": 1001}, {"driver_id": 1002}],
            online={"driver_id": [1001, 1002], "trips": [12, 7], "rating": [4.75, 4.25]},
            missing_entity_row={"driver_id": 9999},
            entity_df=entity_df(),
            historical=[
                {"driver_id": 1001, "event_timestamp": datetime(2026, 1, 1, 12, tzinfo=UTC), "trips": 10, "rating": 4.5},
                {"driver_id": 1002, "event_timestamp": datetime(2026, 1, 2, 6, tzinfo=UTC), "trips": 7, "rating": 4.25},
                {"driver_id": 1001, "event_timestamp": datetime(2026, 1, 3, tzinfo=UTC), "trips": 12, "rating": 4.75},
            ],
        )


@step
def training_data() -> dict:
    import pandas as pd

    frame = pd.DataFrame({"driver_id": [1001, 1002],
                          "event_timestamp": [datetime(2026, 1, 3, tzinfo=UTC)] * 2})
    features = get_step_context().stack.feature_store.get_historical_features(frame, FEATURES)
    return {"trips": sorted(features["trips"].tolist())}


@step
def serve() -> dict:
    return get_step_context().stack.feature_store.get_online_features([{"driver_id": 1002}], ["driver_stats:trips"])


@pipeline
def features_pipeline():
    training_data()
    serve()


def test_a_user_session_registers_the_store_and_steps_read_both_ways(
    feature_repo: Path, stackyard_repository: Repository, stackyard_cli
) -> None:
    for args in (
        ("feature-store", "register", "features", "--flavor=feast", f"--repo_path={feature_repo}"),
        ("stack", "update", "default", "-f", "features"),
    ):
        result = stackyard_cli(*args)
        assert result.exit_code == 0, result.output
    run = features_pipeline().run(run_name="feat-1")
    assert run.get_step("training_data").output.read() == {"trips": [7, 12]}
    assert run.get_step("serve").output.read() == {"driver_id": [1002], "trips": [7]}


def test_a_folder_without_feature_store_yaml_is_refused_with_one_line(tmp_path: Path, stackyard_cli) -> None:
    result = stackyard_cli("feature-store", "register", "f", "--flavor=feast", f"--repo_path={tmp_path}")
    assert result.exit_code != 0
    assert f"repo_path: '{tmp_path}' has no feature_store.yaml; point it at a Feast feature repository" in result.output
    assert "Traceback" not in result.output
    result = stackyard_cli("feature-store", "register", "f", "--flavor=feast", f"--repo_path={tmp_path / 'nope'}")
    assert "is not a folder" in result.output and result.exit_code != 0
    assert "f" not in Repository().component_names("feature_store")


def test_an_unknown_feature_view_is_one_clear_error(feature_repo: Path) -> None:
    store = FeastFeatureStore(name="features", repo_path=str(feature_repo))
    with pytest.raises(FeastFeatureStoreError, match="Feature store 'features' cannot read rider_stats:trips"):
        store.get_online_features([{"driver_id": 1001}], ["rider_stats:trips"])


def test_importing_the_plugin_does_not_import_feast(stackyard_config: Path) -> None:
    loaded = modules_imported_by(
        "import stackyard_feast.plugin\n"
        "from stackyard import Repository\n"
        "assert 'feast' in [f.name for f in Repository().get_flavors('feature_store')]\n"
    )
    assert "feast" not in loaded and "pandas" not in loaded


def test_a_relative_repo_path_is_kept_as_the_folder_meant_at_registration(
    feature_repo: Path, stackyard_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(feature_repo.parent)
    result = stackyard_cli("feature-store", "register", "rel", "--flavor=feast", f"--repo_path=./{feature_repo.name}")
    assert result.exit_code == 0, result.output
    assert Repository().get_stack_component("feature_store", "rel").repo_path == str(feature_repo.resolve())


def test_reading_features_leaves_the_callers_warning_filters_alone(feature_repo: Path, stackyard_config: Path) -> None:
    """Importing feast turns on every DeprecationWarning process-wide; the store keeps the caller's filters."""
    code = (
        "import sys, warnings\n"
        "from stackyard_feast.feature_store import FeastFeatureStore\n"
        "before = list(warnings.filters)\n"
        f"FeastFeatureStore(name='f', repo_path={str(feature_repo)!r}).feast()\n"
        "print('feast' in sys.modules, list(warnings.filters) == before)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["True", "True"]
