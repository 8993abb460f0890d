"""Conformance suites: the whole contract of a component type, as pytest test classes.

Each suite is a plain class whose ``test_*`` methods pytest collects once you
subclass it in a ``Test*`` class and provide the fixture it names (for
example ``artifact_store``). The built-in local flavors run these same suites.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from stackyard.artifact_stores import BaseArtifactStore
from stackyard.exceptions import SecretExistsError, SecretNotFoundError
from stackyard.secrets_managers import BaseSecretsManager
from stackyard.stack.stack_component import StackComponent, parameters


def _join(*parts: str) -> str:
    return "/".join(p.rstrip("/") for p in parts)


class ComponentConformance:
    """Checks what every flavor of every type must do: be a well-formed, installed flavor.

    Provide a ``component`` fixture returning an instance of your flavor.
    The type-specific suites below include these checks.
    """

    @pytest.fixture
    def component(self) -> StackComponent:
        pytest.fail("Define a `component` fixture returning an instance of your flavor.")

    def test_is_a_concrete_flavor(self, component: StackComponent) -> None:
        cls = type(component)
        assert not cls.__abstractmethods__, f"unimplemented: {sorted(cls.__abstractmethods__)}"
        assert isinstance(cls.FLAVOR, str) and cls.FLAVOR
        assert component.TYPE is cls.TYPE

    def test_configuration_round_trips_through_toml(self, component: StackComponent, tmp_path: Path) -> None:
        from stackyard.files import read_toml, write_toml

        write_toml(tmp_path / "component.toml", component.to_dict())
        assert type(component).from_dict(read_toml(tmp_path / "component.toml")) == component

    def test_parameters_have_types(self, component: StackComponent) -> None:
        for parameter in parameters(type(component)).values():
            assert parameter.type_name, f"parameter {parameter.name} has no type annotation"

    def test_flavor_is_installed_through_its_entry_point(self, component: StackComponent, stackyard_config: Path) -> None:
        from stackyard.repository import Repository

        flavor = Repository().get_flavor(component.TYPE, component.FLAVOR)
        assert flavor.implementation is type(component), (
            f"the installed {component.TYPE.display_name} flavor '{component.FLAVOR}' is "
            f"{flavor.source} from {flavor.package_label}, not {type(component).__qualname__}"
        )
        assert not flavor.is_custom

    def test_registers_and_loads_back(self, component: StackComponent, stackyard_config: Path) -> None:
        from stackyard.repository import Repository

        repo = Repository()
        repo.register_stack_component(component)
        assert repo.load_stack_component(component.TYPE, component.name) == component


class ArtifactStoreConformance(ComponentConformance):
    """Checks every file operation of an artifact store flavor.

    Provide an ``artifact_store`` fixture returning an instance whose ``path``
    is a writable location; each test works in a fresh folder below it and
    removes it afterwards.
    """

    large_file_size: ClassVar[int] = 24 * 1024 * 1024
    """Bytes written by the large-file test; lower it for slow remote stores."""

    @pytest.fixture
    def artifact_store(self) -> BaseArtifactStore:
        pytest.fail("Define an `artifact_store` fixture returning an instance of your artifact store flavor.")

    @pytest.fixture
    def component(self, artifact_store: BaseArtifactStore) -> BaseArtifactStore:
        return artifact_store

    @pytest.fixture
    def root(self, artifact_store: BaseArtifactStore) -> Iterator[str]:
        folder = _join(artifact_store.path, f"conformance-{uuid.uuid4().hex[:12]}")
        artifact_store.makedirs(folder)
        yield folder
        if artifact_store.exists(folder):
            artifact_store.rmtree(folder)

    @staticmethod
    def write(store: BaseArtifactStore, path: str, data: bytes) -> None:
        with store.open(path, "wb") as handle:
            handle.write(data)

    @staticmethod
    def read(store: BaseArtifactStore, path: str) -> bytes:
        with store.open(path, "rb") as handle:
            return handle.read()  # type: ignore[no-any-return]

    # -- the flavor itself -------------------------------------------------

    def test_is_an_artifact_store_flavor(self, artifact_store: BaseArtifactStore) -> None:
        assert isinstance(artifact_store, BaseArtifactStore)
        assert isinstance(type(artifact_store).FLAVOR, str) and type(artifact_store).FLAVOR
        schemes = type(artifact_store).SUPPORTED_SCHEMES
        assert schemes, "SUPPORTED_SCHEMES must name at least one scheme ('' for local paths)"
        assert any(artifact_store.path.startswith(s) for s in schemes if s) or "" in schemes

    # -- files -------------------------------------------------------------

    def test_text_round_trip(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "note.txt")
        with artifact_store.open(path, "w") as handle:
            handle.write("héllo\nworld\n")
        with artifact_store.open(path, "r") as handle:
            assert handle.read() == "héllo\nworld\n"

    def test_binary_round_trip_keeps_every_byte(self, artifact_store: BaseArtifactStore, root: str) -> None:
        data = bytes(range(256)) * 64
        self.write(artifact_store, _join(root, "blob.bin"), data)
        assert self.read(artifact_store, _join(root, "blob.bin")) == data

    def test_writing_replaces_the_content(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "f.bin")
        self.write(artifact_store, path, b"a long first version")
        self.write(artifact_store, path, b"short")
        assert self.read(artifact_store, path) == b"short"

    def test_writing_creates_parent_folders(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "a", "b", "c.bin")
        self.write(artifact_store, path, b"x")
        assert artifact_store.isdir(_join(root, "a", "b"))

    def test_empty_file(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "empty")
        self.write(artifact_store, path, b"")
        assert artifact_store.exists(path) and artifact_store.size(path) == 0
        assert self.read(artifact_store, path) == b""

    def test_large_file_round_trip(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "large.bin")
        chunk = os.urandom(1024 * 1024)
        digest = hashlib.sha256()
        with artifact_store.open(path, "wb") as handle:
            for _ in range(self.large_file_size // len(chunk)):
                handle.write(chunk)
                digest.update(chunk)
        assert artifact_store.size(path) == (self.large_file_size // len(chunk)) * len(chunk)
        check = hashlib.sha256()
        with artifact_store.open(path, "rb") as handle:
            while block := handle.read(4 * 1024 * 1024):
                check.update(block)
        assert check.hexdigest() == digest.hexdigest()

    def test_names_with_spaces_and_unicode(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "my folder", "données ü.txt")
        self.write(artifact_store, path, b"ok")
        assert artifact_store.listdir(_join(root, "my folder")) == ["données ü.txt"]
        assert self.read(artifact_store, path) == b"ok"

    # -- queries -------------------------------------------------------------

    def test_exists_and_isdir(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "file.txt")
        assert not artifact_store.exists(path)
        self.write(artifact_store, path, b"1")
        assert artifact_store.exists(path) and not artifact_store.isdir(path)
        assert artifact_store.exists(root) and artifact_store.isdir(root)
        assert not artifact_store.isdir(_join(root, "nothing"))

    def test_listdir_gives_sorted_names(self, artifact_store: BaseArtifactStore, root: str) -> None:
        for name in ("b.txt", "a.txt", "c.txt"):
            self.write(artifact_store, _join(root, name), b"x")
        artifact_store.makedirs(_join(root, "sub"))
        self.write(artifact_store, _join(root, "sub", "inner.txt"), b"x")
        assert artifact_store.listdir(root) == ["a.txt", "b.txt", "c.txt", "sub"]

    def test_size(self, artifact_store: BaseArtifactStore, root: str) -> None:
        self.write(artifact_store, _join(root, "s.bin"), b"12345")
        assert artifact_store.size(_join(root, "s.bin")) == 5

    def test_glob(self, artifact_store: BaseArtifactStore, root: str) -> None:
        for name in ("x1.csv", "x2.csv", "y.txt"):
            self.write(artifact_store, _join(root, name), b"x")
        found = artifact_store.glob(_join(root, "*.csv"))
        assert [p.rsplit("/", 1)[-1] for p in found] == ["x1.csv", "x2.csv"]

    def test_walk_visits_every_folder(self, artifact_store: BaseArtifactStore, root: str) -> None:
        self.write(artifact_store, _join(root, "top.txt"), b"x")
        self.write(artifact_store, _join(root, "d", "mid.txt"), b"x")
        self.write(artifact_store, _join(root, "d", "e", "low.txt"), b"x")
        seen = {
            folder.rstrip("/")[len(root.rstrip("/")) :]: (sorted(dirs), sorted(files))
            for folder, dirs, files in artifact_store.walk(root)
        }
        assert seen == {
            "": (["d"], ["top.txt"]),
            "/d": (["e"], ["mid.txt"]),
            "/d/e": ([], ["low.txt"]),
        }

    # -- changes ---------------------------------------------------------------

    def test_makedirs_is_idempotent(self, artifact_store: BaseArtifactStore, root: str) -> None:
        folder = _join(root, "p", "q")
        artifact_store.makedirs(folder)
        artifact_store.makedirs(folder)
        assert artifact_store.isdir(folder)

    def test_remove_deletes_a_file(self, artifact_store: BaseArtifactStore, root: str) -> None:
        path = _join(root, "gone.txt")
        self.write(artifact_store, path, b"x")
        artifact_store.remove(path)
        assert not artifact_store.exists(path)

    def test_rmtree_deletes_a_folder_and_its_contents(self, artifact_store: BaseArtifactStore, root: str) -> None:
        self.write(artifact_store, _join(root, "t", "u", "v.txt"), b"x")
        artifact_store.rmtree(_join(root, "t"))
        assert not artifact_store.exists(_join(root, "t"))
        assert artifact_store.listdir(root) == []

    def test_rename(self, artifact_store: BaseArtifactStore, root: str) -> None:
        src, dst = _join(root, "src.txt"), _join(root, "moved", "dst.txt")
        self.write(artifact_store, src, b"payload")
        artifact_store.rename(src, dst)
        assert not artifact_store.exists(src)
        assert self.read(artifact_store, dst) == b"payload"

    def test_rename_refuses_to_overwrite_unless_asked(self, artifact_store: BaseArtifactStore, root: str) -> None:
        src, dst = _join(root, "new.txt"), _join(root, "old.txt")
        self.write(artifact_store, src, b"new")
        self.write(artifact_store, dst, b"old")
        with pytest.raises(FileExistsError):
            artifact_store.rename(src, dst)
        assert self.read(artifact_store, dst) == b"old"
        artifact_store.rename(src, dst, overwrite=True)
        assert self.read(artifact_store, dst) == b"new"

    def test_copyfile(self, artifact_store: BaseArtifactStore, root: str) -> None:
        src, dst = _join(root, "a.bin"), _join(root, "copies", "b.bin")
        self.write(artifact_store, src, b"copy me")
        artifact_store.copyfile(src, dst)
        assert self.read(artifact_store, src) == self.read(artifact_store, dst) == b"copy me"

    def test_copyfile_refuses_to_overwrite_unless_asked(self, artifact_store: BaseArtifactStore, root: str) -> None:
        src, dst = _join(root, "a.bin"), _join(root, "b.bin")
        self.write(artifact_store, src, b"new")
        self.write(artifact_store, dst, b"old")
        with pytest.raises(FileExistsError):
            artifact_store.copyfile(src, dst)
        artifact_store.copyfile(src, dst, overwrite=True)
        assert self.read(artifact_store, dst) == b"new"

    # -- missing paths -----------------------------------------------------------

    def test_missing_paths_raise_file_not_found(self, artifact_store: BaseArtifactStore, root: str) -> None:
        missing = _join(root, "missing.txt")
        with pytest.raises(FileNotFoundError):
            self.read(artifact_store, missing)
        with pytest.raises(FileNotFoundError):
            artifact_store.remove(missing)
        with pytest.raises(FileNotFoundError):
            artifact_store.size(missing)
        with pytest.raises(FileNotFoundError):
            artifact_store.listdir(_join(root, "no-folder"))
        assert artifact_store.glob(_join(root, "*.nothing")) == []


class SecretsManagerConformance(ComponentConformance):
    """Checks the secret lifecycle of a secrets manager flavor.

    Provide a ``secrets_manager`` fixture returning an instance that starts
    without secrets.
    """

    @pytest.fixture
    def secrets_manager(self) -> BaseSecretsManager:
        pytest.fail("Define a `secrets_manager` fixture returning an instance of your secrets manager flavor.")

    @pytest.fixture
    def component(self, secrets_manager: BaseSecretsManager) -> BaseSecretsManager:
        return secrets_manager

    def test_is_a_secrets_manager_flavor(self, secrets_manager: BaseSecretsManager) -> None:
        assert isinstance(secrets_manager, BaseSecretsManager)

    def test_register_and_get(self, secrets_manager: BaseSecretsManager) -> None:
        secrets_manager.register_secret("db", {"user": "ml", "password": "pä$$ wörd"})
        assert secrets_manager.get_secret("db") == {"user": "ml", "password": "pä$$ wörd"}

    def test_returned_values_are_a_copy(self, secrets_manager: BaseSecretsManager) -> None:
        secrets_manager.register_secret("db", {"user": "ml"})
        secrets_manager.get_secret("db")["user"] = "changed"
        assert secrets_manager.get_secret("db") == {"user": "ml"}

    def test_registering_twice_is_refused(self, secrets_manager: BaseSecretsManager) -> None:
        secrets_manager.register_secret("db", {"user": "a"})
        with pytest.raises(SecretExistsError):
            secrets_manager.register_secret("db", {"user": "b"})
        assert secrets_manager.get_secret("db") == {"user": "a"}

    def test_list_secret_names(self, secrets_manager: BaseSecretsManager) -> None:
        assert secrets_manager.get_all_secret_keys() == []
        for name in ("zeta", "alpha", "mid"):
            secrets_manager.register_secret(name, {"k": "v"})
        assert secrets_manager.get_all_secret_keys() == ["alpha", "mid", "zeta"]

    def test_update_replaces_values(self, secrets_manager: BaseSecretsManager) -> None:
        secrets_manager.register_secret("api", {"token": "old", "extra": "x"})
        secrets_manager.update_secret("api", {"token": "new"})
        assert secrets_manager.get_secret("api") == {"token": "new"}

    def test_delete(self, secrets_manager: BaseSecretsManager) -> None:
        secrets_manager.register_secret("tmp", {"k": "v"})
        secrets_manager.delete_secret("tmp")
        assert secrets_manager.get_all_secret_keys() == []

    def test_missing_secrets_raise_not_found(self, secrets_manager: BaseSecretsManager) -> None:
        for call in (
            lambda: secrets_manager.get_secret("nope"),
            lambda: secrets_manager.update_secret("nope", {"k": "v"}),
            lambda: secrets_manager.delete_secret("nope"),
        ):
            with pytest.raises(SecretNotFoundError) as info:
                call()
            assert isinstance(info.value, KeyError)
            assert "nope" in str(info.value)


__all__ = ["ArtifactStoreConformance", "ComponentConformance", "SecretsManagerConformance"]
