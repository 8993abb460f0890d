"""The conformance suite for container registry flavors, and a tiny OCI image to test them with.

Subclass :class:`ContainerRegistryConformance` in a ``Test*`` class and provide
a ``container_registry`` fixture returning an instance of your flavor that can
reach a running registry (and push to it)::

    from stackyard.testing import ContainerRegistryConformance

    class TestMyRegistry(ContainerRegistryConformance):
        @pytest.fixture
        def container_registry(self, registry_address):
            return MyRegistry(name="test", uri=registry_address)

The suite pushes a one-layer OCI image built by :func:`build_oci_image`
(override the ``image_archive`` fixture to push your own), lists it, pulls it
back and compares what came back with what was pushed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import uuid
from pathlib import Path

import pytest

from stackyard.container_registries import BaseContainerRegistry, ContainerRegistryError
from stackyard.testing.conformance import ComponentConformance

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
IMAGE_FILE = "hello.txt"
"""The one file in the image's one layer."""


def _blob(layout: Path, data: bytes) -> tuple[str, int]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
    return digest, len(data)


def build_oci_image(folder: Path, tag: str = "v1", content: bytes = b"hello from stackyard\n") -> Path:
    """Write an OCI image layout at ``folder``: one gzipped layer holding ``hello.txt`` = ``content``.

    Returns ``folder``; :func:`oci_archive` packs it into the ``oci-archive``
    tarball that registries' tools push.
    """
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as tar:
        info = tarfile.TarInfo(IMAGE_FILE)
        info.size, info.mode, info.mtime = len(content), 0o644, 0
        tar.addfile(info, io.BytesIO(content))
    layer = gzip.compress(layer_tar.getvalue(), mtime=0)
    layer_digest, layer_size = _blob(folder, layer)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar.getvalue()).hexdigest()]},
    }
    config_digest, config_size = _blob(folder, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}],
    }
    manifest_digest, manifest_size = _blob(folder, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": MANIFEST_TYPE, "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    }
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return folder


def oci_archive(layout: Path, archive: Path) -> Path:
    """Pack the OCI layout folder ``layout`` into an ``oci-archive`` tarball at ``archive``."""
    with tarfile.open(archive, "w") as tar:
        for path in sorted(layout.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(layout)), recursive=False)
    return archive


def image_files(image: Path) -> dict[str, bytes]:
    """The files of every layer of the (single) image in an OCI layout folder or ``oci-archive`` tarball."""
    def read(name: str) -> bytes:
        if image.is_dir():
            return (image / name).read_bytes()
        with tarfile.open(image) as tar:
            member = tar.extractfile(name) or tar.extractfile("./" + name)
            assert member is not None, f"{name} missing from {image}"
            return member.read()

    index = json.loads(read("index.json"))
    (entry,) = index["manifests"]
    manifest = json.loads(read("blobs/sha256/" + entry["digest"].split(":")[1]))
    files: dict[str, bytes] = {}
    for layer in manifest["layers"]:
        data = read("blobs/sha256/" + layer["digest"].split(":")[1])
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                handle = tar.extractfile(member)
                if handle is not None:
                    files[member.name] = handle.read()
    return files


class ContainerRegistryConformance(ComponentConformance):
    """Checks a container registry flavor: reach the registry, push, list repositories and tags, pull back.

    Provide a ``container_registry`` fixture: an instance that reaches a
    running registry and may push to it. Every test pushes under a new
    repository name, so the registry need not be empty.
    """

    @pytest.fixture
    def container_registry(self) -> BaseContainerRegistry:
        pytest.fail("Define a `container_registry` fixture returning an instance of your container registry flavor.")

    @pytest.fixture
    def component(self, container_registry: BaseContainerRegistry) -> BaseContainerRegistry:
        return container_registry

    @pytest.fixture
    def image_archive(self, tmp_path: Path) -> Path:
        """The image the suite pushes: an ``oci-archive`` tarball with one small layer."""
        return oci_archive(build_oci_image(tmp_path / "layout"), tmp_path / "image.tar")

    @pytest.fixture
    def repository(self) -> str:
        return f"conformance/img-{uuid.uuid4().hex[:12]}"

    def test_is_a_container_registry_flavor(self, container_registry: BaseContainerRegistry) -> None:
        assert isinstance(container_registry, BaseContainerRegistry)

    def test_reaches_the_registry(self, container_registry: BaseContainerRegistry) -> None:
        container_registry.check_connection()

    def test_a_pushed_image_is_listed_with_its_tag(
        self, container_registry: BaseContainerRegistry, image_archive: Path, repository: str
    ) -> None:
        reference = container_registry.push_image(f"{repository}:v1", source=str(image_archive))
        assert reference == container_registry.image_reference(f"{repository}:v1")
        assert repository in container_registry.list_repositories()
        assert container_registry.list_tags(repository) == ["v1"]

    def test_tags_are_listed_sorted(
        self, container_registry: BaseContainerRegistry, image_archive: Path, repository: str
    ) -> None:
        for tag in ("v2", "latest", "v1"):
            container_registry.push_image(f"{repository}:{tag}", source=str(image_archive))
        assert container_registry.list_tags(repository) == ["latest", "v1", "v2"]

    def test_a_pulled_image_holds_what_was_pushed(
        self, container_registry: BaseContainerRegistry, image_archive: Path, repository: str, tmp_path: Path
    ) -> None:
        container_registry.push_image(f"{repository}:v1", source=str(image_archive))
        pulled = Path(container_registry.pull_image(f"{repository}:v1", str(tmp_path / "pulled.tar")))
        assert pulled.exists()
        assert image_files(pulled) == image_files(image_archive)

    def test_a_missing_repository_or_image_is_an_error_naming_it(
        self, container_registry: BaseContainerRegistry, repository: str, tmp_path: Path
    ) -> None:
        with pytest.raises(ContainerRegistryError, match=repository):
            container_registry.list_tags(repository)
        with pytest.raises(ContainerRegistryError):
            container_registry.pull_image(f"{repository}:v1", str(tmp_path / "nothing.tar"))
        assert repository not in container_registry.list_repositories()

    def test_a_malformed_image_name_is_refused(
        self, container_registry: BaseContainerRegistry, image_archive: Path
    ) -> None:
        for name in ("Upper/Case:v1", "../escape:v1", "name:bad tag"):
            with pytest.raises(ContainerRegistryError, match="image name"):
                container_registry.push_image(name, source=str(image_archive))
