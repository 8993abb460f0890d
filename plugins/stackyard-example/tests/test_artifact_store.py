"""Stackyard's conformance suite for artifact stores, run against the fsspec flavor."""

from __future__ import annotations

import pytest

from stackyard.testing import ArtifactStoreConformance

from stackyard_example.artifact_store import FsspecArtifactStore


class TestFsspecArtifactStore(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_store(self, tmp_path):
        return FsspecArtifactStore(name="test", path=str(tmp_path / "artifacts"))


def test_flavor_is_listed_by_the_cli(stackyard_cli):
    result = stackyard_cli("artifact-store", "flavor", "list")
    assert result.exit_code == 0, result.output
    assert "fsspec" in result.output
