"""Stackyard's conformance suite for artifact stores, run against the fsspec flavor."""

from __future__ import annotations

import uuid

import pytest

from stackyard.testing import ArtifactStoreConformance

from stackyard_example.artifact_store import FsspecArtifactStore


class TestFsspecOnLocalFiles(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_store(self, tmp_path):
        return FsspecArtifactStore(name="test", path=str(tmp_path / "artifacts"))


class TestFsspecInMemory(ArtifactStoreConformance):
    @pytest.fixture
    def artifact_store(self):
        return FsspecArtifactStore(name="test", path=f"memory://stackyard-{uuid.uuid4().hex[:8]}")


def test_flavor_is_listed_by_the_cli(stackyard_cli):
    result = stackyard_cli("artifact-store", "flavor", "list")
    assert result.exit_code == 0, result.output
    assert "fsspec" in result.output


def test_registering_with_storage_options_from_the_cli(stackyard_cli):
    result = stackyard_cli(
        "artifact-store", "register", "mem", "--flavor=fsspec", "--path=memory://ml",
        '--storage_options={"skip_instance_cache": "true"}',
    )
    assert result.exit_code == 0, result.output
    result = stackyard_cli("artifact-store", "describe", "mem")
    assert "memory://ml" in result.output and "skip_instance_cache" in result.output


def test_an_unsupported_scheme_is_refused():
    with pytest.raises(ValueError, match="not supported by the fsspec artifact store"):
        FsspecArtifactStore(name="x", path="ftp://host/data")


def test_listing_flavors_does_not_import_fsspec(stackyard_config):
    from stackyard.testing.assertions import modules_imported_by

    loaded = modules_imported_by(
        "from stackyard import Repository\n"
        "assert [f.name for f in Repository().get_flavors('artifact_store') if f.name == 'fsspec']\n"
    )
    assert "fsspec" not in loaded


@pytest.mark.parametrize("path", ["s3://bucket/artifacts", "gs://bucket/x", "az://container/x"])
def test_object_stores_are_refused_naming_what_to_use(path):
    with pytest.raises(ValueError, match="object store") as info:
        FsspecArtifactStore(name="x", path=path)
    if path.startswith("s3://"):
        assert "stackyard-s3" in str(info.value)


def test_registering_an_s3_path_from_the_cli_names_stackyard_s3(stackyard_cli):
    result = stackyard_cli("artifact-store", "register", "shared", "--flavor=fsspec", "--path=s3://ml-artifacts")
    assert result.exit_code != 0
    assert "stackyard-s3" in result.output and "Traceback" not in result.output
    assert "shared" not in stackyard_cli("artifact-store", "list").output
