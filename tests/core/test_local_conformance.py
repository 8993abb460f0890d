"""The built-in local flavors pass the same conformance suites third-party flavors use."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stackyard.testing import (
    ArtifactStoreConformance,
    MetadataStoreConformance,
    OrchestratorConformance,
    SecretsManagerConformance,
)
from stackyard_local import LocalArtifactStore, LocalOrchestrator, LocalSecretsManager, SQLiteMetadataStore


class TestLocalArtifactStore(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_store(self, tmp_path: Path) -> LocalArtifactStore:
        return LocalArtifactStore(name="conformance", path=str(tmp_path / "artifacts"))


class TestLocalSecretsManager(SecretsManagerConformance):
    @pytest.fixture
    def secrets_manager(self, tmp_path: Path) -> LocalSecretsManager:
        return LocalSecretsManager(name="conformance", path=str(tmp_path / "secrets" / "secrets.json"))


def test_local_secrets_file_is_private(tmp_path: Path) -> None:
    manager = LocalSecretsManager(name="s", path=str(tmp_path / "s.json"))
    manager.register_secret("db", {"password": "x"})
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o600


class TestLocalOrchestrator(OrchestratorConformance):
    @pytest.fixture
    def orchestrator(self) -> LocalOrchestrator:
        return LocalOrchestrator(name="conformance")


class TestLocalOrchestratorInParallel(OrchestratorConformance):
    @pytest.fixture
    def orchestrator(self) -> LocalOrchestrator:
        return LocalOrchestrator(name="conformance", max_workers=3)


class TestSQLiteMetadataStore(MetadataStoreConformance):
    @pytest.fixture
    def metadata_store(self, tmp_path: Path) -> SQLiteMetadataStore:
        return SQLiteMetadataStore(name="conformance", uri=str(tmp_path / "under-test.db"))
