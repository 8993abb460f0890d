"""Stackyard's metadata store contract, against a real PostgreSQL and against a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.testing import MetadataStoreConformance

from stackyard_sql.metadata_store import SQLMetadataStore


class TestOnPostgreSQL(MetadataStoreConformance):
    @pytest.fixture
    def metadata_store(self, postgres_url: str) -> SQLMetadataStore:
        return SQLMetadataStore(name="conformance", url=postgres_url)


class TestOnSQLite(MetadataStoreConformance):
    @pytest.fixture
    def metadata_store(self, tmp_path: Path) -> SQLMetadataStore:
        return SQLMetadataStore(name="conformance", url=f"sqlite:///{tmp_path / 'metadata.db'}")
