"""One MLflow tracking database per test session: importing MLflow and migrating a new database take seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite tracking database shared by the session's tests."""
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    MlflowClient(tracking_uri=uri).search_experiments()  # creates the schema once
    yield uri


@pytest.fixture
def client(tracking_uri: str):
    """An MLflow client on the session's database, to read back what runs recorded."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


@pytest.fixture(autouse=True)
def no_run_left_active() -> Iterator[None]:
    """Each test starts and ends without an active MLflow run in this process."""
    yield
    import sys

    if "mlflow" in sys.modules:
        import mlflow

        assert mlflow.active_run() is None, "a test left an MLflow run active"
