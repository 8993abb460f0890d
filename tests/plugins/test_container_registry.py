"""The ``default`` container registry of stackyard-local against real registries on loopback.

Two ``docker-registry`` servers (Debian's package of the CNCF distribution
registry) run for the whole session: one open, one behind htpasswd basic auth.
Images are pushed and pulled with ``skopeo``. Without both tools the tests skip,
unless ``STACKYARD_REQUIRE_REGISTRY=1`` (CI) turns that into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import Repository
from stackyard.container_registries import ContainerRegistryError
from stackyard.exceptions import StackValidationError
from stackyard import get_step_context
from stackyard.pipelines import ExecutionStatus, pipeline, step
from stackyard.stack.stack import Stack
from stackyard.testing import ContainerRegistryConformance
from stackyard.testing.container_registry_conformance import build_oci_image, image_files, oci_archive

from stackyard_local.container_registry import DefaultContainerRegistry
from stackyard_local.orchestrator import LocalOrchestrator

USER = "ml-team"
PASSWORD = "r3gistry-Pass-5e0b91"


def _require_tools() -> None:
    missing = [tool for tool in ("docker-registry", "skopeo") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (apt-get install docker-registry skopeo)"
        if os.environ.get("STACKYARD_REQUIRE_REGISTRY") == "1":
            pytest.fail(f"STACKYARD_REQUIRE_REGISTRY=1 but {reason}")
        pytest.skip(reason)


def _bcrypt(password: str) -> str:
    """An htpasswd bcrypt hash (the registry accepts only bcrypt)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # the C library's bcrypt; removed from Python 3.13

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))
    except ImportError:
        import bcrypt  # type: ignore[import-not-found]

        return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_registry(folder: Path, htpasswd: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    folder.mkdir(parents=True)
    config = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    if htpasswd is not None:
        config["auth"] = {"htpasswd": {"realm": "stackyard-tests", "path": str(htpasswd)}}
    (folder / "config.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
    log = (folder / "registry.log").open("wb")
    server = subprocess.Popen(["docker-registry", "serve", str(folder / "config.yml")], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()  # noqa: S310
            return server, f"http://127.0.0.1:{port}"
        except urllib.error.HTTPError:  # 401: up, asking for credentials
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"docker-registry did not start: {(folder / 'registry.log').read_text()[-2000:]}")


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``{"open": uri, "auth": uri}``: two registries on 127.0.0.1 for the session, stopped afterwards."""
    _require_tools()
    root = tmp_path_factory.mktemp("registries")
    htpasswd = root / "htpasswd"
    htpasswd.write_text(f"{USER}:{_bcrypt(PASSWORD)}\n")
    started = []
    try:
        open_server, open_uri = _start_registry(root / "open", None)
        started.append(open_server)
        auth_server, auth_uri = _start_registry(root / "auth", htpasswd)
        started.append(auth_server)
        yield {"open": open_uri, "auth": auth_uri}
    finally:
        for server in started:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return oci_archive(build_oci_image(tmp_path / "layout"), tmp_path / "image.tar")


class TestDefaultRegistry(ContainerRegistryConformance):
    @pytest.fixture
    def container_registry(self, registries: dict[str, str]) -> DefaultContainerRegistry:
        return DefaultContainerRegistry(name="test", uri=registries["open"])


class TestDefaultRegistryUnderANamespace(ContainerRegistryConformance):
    @pytest.fixture
    def container_registry(self, registries: dict[str, str]) -> DefaultContainerRegistry:
        return DefaultContainerRegistry(name="team", uri=registries["open"] + "/team-a")

    def test_only_the_namespace_is_listed(self, container_registry: DefaultContainerRegistry, image: Path,
                                          registries: dict[str, str]) -> None:
        other = DefaultContainerRegistry(name="other", uri=registries["open"] + "/team-b")
        other.push_image("hidden:v1", source=str(image))
        reference = container_registry.push_image("shown:v1", source=str(image))
        assert reference.endswith("/team-a/shown:v1")
        assert "shown" in container_registry.list_repositories()
        assert "hidden" not in container_registry.list_repositories()


def _resolved(uri: str, tmp_path: Path, secrets: dict[str, str]) -> DefaultContainerRegistry:
    """A registry with references, resolved from a local secrets manager as a run would."""
    from stackyard.secrets import resolve_component

    manager = Repository().get_flavor("secrets_manager", "local").create("vault", {"path": str(tmp_path / "v.json")})
    manager.register_secret("registry", secrets)
    registry = DefaultContainerRegistry(
        name="private", uri=uri, username="{{registry.username}}", password="{{registry.password}}"
    )
    return resolve_component(registry, manager)  # type: ignore[return-value]


def test_credentials_from_secrets_push_list_and_pull(
    registries: dict[str, str], image: Path, tmp_path: Path, stackyard_config: Path
) -> None:
    registry = _resolved(registries["auth"], tmp_path, {"username": USER, "password": PASSWORD})
    registry.check_connection()
    registry.push_image("private/model:v1", source=str(image))
    assert "private/model" in registry.list_repositories()
    assert registry.list_tags("private/model") == ["v1"]
    pulled = registry.pull_image("private/model:v1", str(tmp_path / "pulled.tar"))
    assert image_files(Path(pulled)) == image_files(image)
    assert registry.config["password"] == "{{registry.password}}"  # what gets recorded is the reference
    import base64
    import pickle

    from stackyard.secrets import with_references

    pickled = pickle.dumps(with_references(registry))  # what a step operator's payload holds, after use
    assert PASSWORD.encode() not in pickled
    assert base64.b64encode(f"{USER}:{PASSWORD}".encode()) not in pickled


def test_a_wrong_password_is_refused_without_showing_it(
    registries: dict[str, str], image: Path, tmp_path: Path, stackyard_config: Path
) -> None:
    registry = _resolved(registries["auth"], tmp_path, {"username": USER, "password": "wrong-Pass-77"})
    with pytest.raises(ContainerRegistryError, match="refused access") as info:
        registry.check_connection()
    assert "wrong-Pass-77" not in str(info.value)
    with pytest.raises(ContainerRegistryError) as info:
        registry.push_image("private/model:v9", source=str(image))
    assert "wrong-Pass-77" not in str(info.value)


def test_anonymous_access_to_a_private_registry_names_the_fix(registries: dict[str, str]) -> None:
    with pytest.raises(ContainerRegistryError, match="check credentials"):
        DefaultContainerRegistry(name="anon", uri=registries["auth"]).list_repositories()


def test_an_unreachable_registry_is_one_clear_error() -> None:
    registry = DefaultContainerRegistry(name="gone", uri=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ContainerRegistryError, match="Cannot reach the container registry 'gone'"):
        registry.check_connection()


def test_a_folder_layout_and_an_explicit_transport_can_be_pushed(
    registries: dict[str, str], tmp_path: Path
) -> None:
    registry = DefaultContainerRegistry(name="test", uri=registries["open"])
    layout = build_oci_image(tmp_path / "layout", tag="v3", content=b"from a folder\n")
    registry.push_image("layouts/folder:v3", source=str(layout))
    registry.push_image("layouts/transport:v3", source=f"oci:{layout}:v3")
    assert registry.list_tags("layouts/folder") == registry.list_tags("layouts/transport") == ["v3"]
    out = tmp_path / "out"
    out.mkdir()
    registry.pull_image("layouts/folder:v3", str(out))
    assert image_files(out) == {"hello.txt": b"from a folder\n"}


def test_a_source_that_is_not_an_image_is_refused(registries: dict[str, str], tmp_path: Path) -> None:
    registry = DefaultContainerRegistry(name="test", uri=registries["open"])
    (tmp_path / "notes.txt").write_text("not an image")
    for source in (str(tmp_path / "notes.txt"), str(tmp_path / "missing.tar"), str(tmp_path)):
        with pytest.raises(ContainerRegistryError, match="image"):
            registry.push_image("bad/source:v1", source=source)


# -- a step uses the stack's registry; credentials stay secret --------------------------------


@step
def registry_tags() -> list:
    return get_step_context().stack.container_registry.list_tags("private/model")


@pipeline
def registry_pipeline():
    registry_tags()


def test_a_step_lists_tags_through_the_stacks_registry_with_secret_credentials(
    registries: dict[str, str], image: Path, tmp_path: Path, stackyard_config: Path
) -> None:
    _resolved(registries["auth"], tmp_path / "push", {"username": USER, "password": PASSWORD}).push_image(
        "private/model:v1", source=str(image)
    )
    repo = Repository()
    manager = repo.get_flavor("secrets_manager", "local").create("vault", {"path": str(tmp_path / "vault.json")})
    repo.register_stack_component(manager)
    manager.register_secret("registry", {"username": USER, "password": PASSWORD})
    registry = repo.get_flavor("container_registry", "default").create(
        "private", {"uri": registries["auth"], "username": "{{registry.username}}", "password": "{{registry.password}}"}
    )
    repo.register_stack_component(registry)
    default = repo.active_stack
    repo.register_stack(Stack("images", orchestrator=default.orchestrator, artifact_store=default.artifact_store,
                              metadata_store=default.metadata_store, secrets_manager=manager,
                              container_registry=registry))
    repo.activate_stack("images")

    run = registry_pipeline().run(run_name="tags")

    assert run.status is ExecutionStatus.COMPLETED
    assert run.get_step("registry_tags").output.read() == ["v1"]
    leaked = [str(p) for p in stackyard_config.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert leaked == []


# -- the stack rule --------------------------------------------------------------------------


class ImageOrchestrator(LocalOrchestrator):
    """An orchestrator that, like Kubernetes or Airflow, would run its steps from images."""

    FLAVOR: ClassVar[str] = "images"
    REQUIRES_CONTAINER_REGISTRY: ClassVar[bool] = True


class RemoteImageOrchestrator(ImageOrchestrator):
    FLAVOR: ClassVar[str] = "remote-images"
    REMOTE: ClassVar[bool] = True


def _stack(orchestrator: Any, registry: Any = None) -> Stack:
    default = Repository().active_stack
    return Stack("cluster", orchestrator=orchestrator, artifact_store=default.artifact_store,
                 metadata_store=default.metadata_store, container_registry=registry)


def test_an_orchestrator_needing_images_is_refused_without_a_registry(stackyard_config: Path) -> None:
    stack = _stack(ImageOrchestrator(name="k8s"))
    with pytest.raises(StackValidationError) as info:
        stack.validate()
    assert "orchestrator 'k8s'" in str(info.value) and "needs a container registry" in str(info.value)
    assert "stackyard stack update cluster --container-registry=NAME" in str(info.value)
    _stack(ImageOrchestrator(name="k8s"), DefaultContainerRegistry(name="hub", uri="ghcr.io/team")).validate()


def test_a_remote_orchestrator_is_refused_a_local_registry(stackyard_config: Path) -> None:
    local = DefaultContainerRegistry(name="mine", uri="http://127.0.0.1:5000")
    problems = _stack(RemoteImageOrchestrator(name="far"), local).problems()
    assert any("cannot pull from the local container registry 'mine'" in p for p in problems)
    assert _stack(ImageOrchestrator(name="near"), local).problems() == []
    assert _stack(LocalOrchestrator(name="plain")).problems() == []


# -- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("uri", ["user:pw@registry.example.com", "ftp://registry.example.com", "registry.example.com/Team",
                                 "", "registry example.com"])
def test_a_bad_uri_is_refused_naming_the_form(uri: str) -> None:
    with pytest.raises(ValueError):
        DefaultContainerRegistry(name="x", uri=uri)


def test_registering_from_the_cli_takes_only_references(stackyard_cli: Any) -> None:
    flavors = stackyard_cli("container-registry", "flavor", "list")
    assert flavors.exit_code == 0 and "default" in flavors.output
    refused = stackyard_cli("container-registry", "register", "hub", "--flavor=default", "--uri=ghcr.io/team",
                            "--username=me", f"--password={PASSWORD}")
    assert refused.exit_code != 0 and "sensitive" in refused.output
    assert PASSWORD not in refused.output and "Traceback" not in refused.output
    done = stackyard_cli("container-registry", "register", "hub", "--flavor=default", "--uri=ghcr.io/team",
                         "--username={{ghcr.user}}", "--password={{ghcr.token}}")
    assert done.exit_code == 0, done.output
    assert "{{ghcr.token}}" in stackyard_cli("container-registry", "describe", "hub").output
