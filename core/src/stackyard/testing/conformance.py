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

from stackyard.testing.assertions import run_fails

from stackyard.alerters import BaseAlerter
from stackyard.artifact_stores import BaseArtifactStore
from stackyard.experiment_trackers import BaseExperimentTracker
from stackyard.exceptions import SecretExistsError, SecretNotFoundError
from stackyard.metadata_stores import BaseMetadataStore
from stackyard.orchestrators import BaseOrchestrator
from stackyard.secrets_managers import BaseSecretsManager
from stackyard.secrets import with_references
from stackyard.stack.stack import Stack
from stackyard.stack.stack_component import StackComponent, parameters
from stackyard.step_operators import BaseStepOperator


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
        from stackyard.records import ComponentRecord, same_component

        write_toml(tmp_path / "component.toml", ComponentRecord.of(component).to_dict())
        record = ComponentRecord.from_dict(read_toml(tmp_path / "component.toml"))
        assert same_component(record, component)
        stored = with_references(component)  # a component resolved for a run holds its secret references again
        assert type(component).from_config(record.name, record.config, uuid=record.uuid) == stored

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
        assert repo.load_stack_component(component.TYPE, component.name) == with_references(component)

    def test_joins_a_stack_of_local_components_and_a_pipeline_runs_through_it(
        self, component: StackComponent, tmp_path: Path, stackyard_config: Path
    ) -> None:
        import warnings

        from stackyard.pipelines import ExecutionStatus
        from stackyard.testing.sample_pipelines import diamond

        stack = _stack_around(component, tmp_path)
        stack.validate()
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # hooks with the 0.1 signatures fail here
            run = diamond(n=2).run(stack=stack, run_name=f"conformance-{uuid.uuid4().hex[:12]}")
        assert run.status is ExecutionStatus.COMPLETED
        assert run.get_step("add").output.read() == 10


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
        assert found == [_join(root, "x1.csv"), _join(root, "x2.csv")], "glob must give full URIs, scheme included"

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

    def test_moving_copying_or_deleting_a_missing_path_raises_file_not_found(
        self, artifact_store: BaseArtifactStore, root: str
    ) -> None:
        missing = _join(root, "missing.txt")
        with pytest.raises(FileNotFoundError):
            artifact_store.copyfile(missing, _join(root, "copy.txt"))
        with pytest.raises(FileNotFoundError):
            artifact_store.rename(missing, _join(root, "moved.txt"))
        with pytest.raises(FileNotFoundError):
            artifact_store.rmtree(_join(root, "no-folder"))
        assert not artifact_store.exists(_join(root, "copy.txt")) and not artifact_store.exists(_join(root, "moved.txt"))


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


def _local(component_type: str, flavor: str) -> type:
    """An installed flavor class by type and name, found through the plugin registry as any user would."""
    from stackyard.exceptions import FlavorNotFoundError
    from stackyard.repository import Repository

    try:
        return Repository().get_flavor(component_type, flavor).implementation
    except FlavorNotFoundError as exc:  # pragma: no cover - depends on the environment
        pytest.fail(f"This conformance suite builds the rest of its stack from the default flavors: {exc}")


def _stack_around(component: StackComponent, tmp_path: Path) -> Stack:
    """A stack of the default local flavors (in ``tmp_path``) with ``component`` in its type's place."""
    from stackyard.stack.stack import Stack

    parts: dict[str, StackComponent] = {
        "orchestrator": _local("orchestrator", "local")(name="conformance"),
        "artifact_store": _local("artifact_store", "local")(name="conformance", path=str(tmp_path / "artifacts")),
        "metadata_store": _local("metadata_store", "sqlite")(name="conformance", uri=str(tmp_path / "metadata.db")),
    }
    parts[component.TYPE.value] = component
    return Stack("conformance", **parts)  # type: ignore[arg-type]


class _PipelineSuite(ComponentConformance):
    """Runs the sample pipelines on a stack built around the component under test."""

    @pytest.fixture
    def conformance_stack(self, component: StackComponent, tmp_path: Path, stackyard_config: Path) -> Stack:
        return _stack_around(component, tmp_path)

    @staticmethod
    def run_name() -> str:
        return f"conformance-{uuid.uuid4().hex[:12]}"


class OrchestratorConformance(_PipelineSuite):
    """Checks that an orchestrator flavor runs pipelines: order, parallel branches, failure, options.

    Provide an ``orchestrator`` fixture returning an instance of your flavor;
    the suite pairs it with a local artifact store and SQLite metadata store
    in a temporary folder.
    """

    @pytest.fixture
    def orchestrator(self) -> BaseOrchestrator:
        pytest.fail("Define an `orchestrator` fixture returning an instance of your orchestrator flavor.")

    @pytest.fixture
    def component(self, orchestrator: BaseOrchestrator) -> BaseOrchestrator:
        return orchestrator

    def test_is_an_orchestrator_flavor(self, orchestrator: BaseOrchestrator) -> None:
        assert isinstance(orchestrator, BaseOrchestrator)

    def test_runs_every_step_once_in_dependency_order(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.testing.sample_pipelines import diamond

        run = diamond(n=3).run(stack=conformance_stack, run_name=self.run_name())
        assert run.status is ExecutionStatus.COMPLETED
        assert sorted(s.name for s in run.steps) == ["add", "double", "source", "triple"]
        assert all(s.status is ExecutionStatus.COMPLETED for s in run.steps)
        assert run.get_step("add").output.read() == 15
        started = {s.name: s.start_time for s in run.steps}
        ended = {s.name: s.end_time for s in run.steps}
        assert ended["source"] <= started["double"] and ended["source"] <= started["triple"]
        assert max(ended["double"], ended["triple"]) <= started["add"]

    def test_runs_independent_branches(self, conformance_stack: Stack) -> None:
        from stackyard.testing.sample_pipelines import wide

        run = wide().run(stack=conformance_stack, run_name=self.run_name())
        assert run.get_step("gather").output.read() == [1, 2, 3, 4]
        assert len(run.steps) == 5

    def test_a_failing_step_fails_the_run_and_stops_downstream_steps(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import ConformanceStepError, failing

        name = self.run_name()
        with run_fails(ConformanceStepError, match="failed on purpose with 5"):
            failing().run(stack=conformance_stack, run_name=name)
        run = Repository().get_run(name, stack=conformance_stack)
        assert run.status is ExecutionStatus.FAILED
        statuses = {s.name: s.status for s in run.steps}
        assert statuses["source"] is ExecutionStatus.COMPLETED
        assert statuses["explode"] is ExecutionStatus.FAILED
        assert statuses.get("double") in (None, ExecutionStatus.FAILED), "no step may start after a failure"
        assert run.get_step("source").output.read() == 5, "finished steps keep their outputs"

    def test_runtime_configuration_reaches_the_orchestrator_and_the_run(
        self, conformance_stack: Stack, orchestrator: BaseOrchestrator
    ) -> None:
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import wide

        seen: list[dict[str, object]] = []
        original = orchestrator.run_pipeline

        def spy(deployment: object, stack: Stack, runtime_configuration: object) -> None:
            seen.append(dict(runtime_configuration))  # type: ignore[call-overload]
            original(deployment, stack, runtime_configuration)  # type: ignore[arg-type]

        object.__setattr__(orchestrator, "run_pipeline", spy)
        name = self.run_name()
        try:
            with pytest.warns(UserWarning, match="conformance_option"):
                wide().run(stack=conformance_stack, run_name=name, conformance_option=7)
        finally:
            object.__delattr__(orchestrator, "run_pipeline")
        assert len(seen) == 1 and seen[0]["conformance_option"] == 7 and seen[0]["run_name"] == name
        run = Repository().get_run(name, stack=conformance_stack)
        assert run.runtime_configuration["conformance_option"] == 7
        assert run.get_step("gather").output.read() == [1, 2, 3, 4]

    def test_a_second_run_is_served_from_cache(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.testing.sample_pipelines import diamond

        diamond(n=4).run(stack=conformance_stack, run_name=self.run_name())
        again = diamond(n=4).run(stack=conformance_stack, run_name=self.run_name())
        assert again.status is ExecutionStatus.CACHED
        assert again.get_step("add").output.read() == 20


class MetadataStoreConformance(_PipelineSuite):
    """Checks that a metadata store flavor records runs completely and reads them back.

    Provide a ``metadata_store`` fixture returning an instance that starts
    empty; the suite runs the sample pipelines with the local orchestrator
    and artifact store and reads everything back through the Repository API.
    """

    @pytest.fixture
    def metadata_store(self) -> BaseMetadataStore:
        pytest.fail("Define a `metadata_store` fixture returning an instance of your metadata store flavor.")

    @pytest.fixture
    def component(self, metadata_store: BaseMetadataStore) -> BaseMetadataStore:
        return metadata_store

    def test_is_a_metadata_store_flavor(self, metadata_store: BaseMetadataStore) -> None:
        assert isinstance(metadata_store, BaseMetadataStore)

    def test_a_run_is_recorded_in_full(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import diamond

        name = self.run_name()
        with pytest.warns(UserWarning, match="conformance_option"):
            diamond(n=2).run(stack=conformance_stack, run_name=name, conformance_option="x")
        run = Repository().get_run(name, stack=conformance_stack)
        assert (run.name, run.pipeline_name, run.status) == (name, "diamond", ExecutionStatus.COMPLETED)
        assert run.parameters == {"n": 2}
        assert run.runtime_configuration["conformance_option"] == "x"
        assert run.stack["name"] == "conformance"
        assert run.start_time is not None and run.end_time is not None and run.duration >= 0
        add = run.get_step("add")
        assert add.status is ExecutionStatus.COMPLETED
        assert sorted(add.inputs) == ["a", "b"]
        assert add.output.read() == 10
        assert add.output.uri.startswith(conformance_stack.artifact_store.path)
        assert run.get_step("source").parameters == {"n": 2}

    def test_runs_are_listed_oldest_first_by_pipeline(self, conformance_stack: Stack) -> None:
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import diamond, wide

        names = [self.run_name() for _ in range(3)]
        diamond(n=1).run(stack=conformance_stack, run_name=names[0])
        wide().run(stack=conformance_stack, run_name=names[1])
        diamond(n=2).run(stack=conformance_stack, run_name=names[2])
        repo = Repository()
        assert [p.name for p in repo.get_pipelines(stack=conformance_stack)] == ["diamond", "wide"]
        assert [r.name for r in repo.get_pipeline("diamond", stack=conformance_stack).runs] == [names[0], names[2]]
        assert repo.get_run(names[1], stack=conformance_stack).pipeline_name == "wide"

    def test_a_failed_run_keeps_its_error(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import ConformanceStepError, failing

        name = self.run_name()
        with run_fails(ConformanceStepError):
            failing().run(stack=conformance_stack, run_name=name)
        run = Repository().get_run(name, stack=conformance_stack)
        assert run.status is ExecutionStatus.FAILED
        assert "failed on purpose with 5" in (run.get_step("explode").error or "")

    def test_cached_steps_point_at_their_original_outputs(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import wide

        first, second = self.run_name(), self.run_name()
        wide().run(stack=conformance_stack, run_name=first)
        wide().run(stack=conformance_stack, run_name=second)
        repo = Repository()
        cached = repo.get_run(second, stack=conformance_stack).get_step("gather")
        assert cached.status is ExecutionStatus.CACHED
        assert cached.output.uri == repo.get_run(first, stack=conformance_stack).get_step("gather").output.uri

    def test_run_names_are_unique(self, conformance_stack: Stack) -> None:
        from stackyard.exceptions import StackyardError
        from stackyard.testing.sample_pipelines import wide

        name = self.run_name()
        wide().run(stack=conformance_stack, run_name=name)
        with pytest.raises(StackyardError, match=name):
            wide().run(stack=conformance_stack, run_name=name)

    def test_an_unknown_run_is_not_found(self, conformance_stack: Stack) -> None:
        from stackyard.repository import Repository

        with pytest.raises(KeyError):
            Repository().get_run("no-such-run", stack=conformance_stack)

    # -- liveness: a run whose process is gone reads as crashed --------------------

    @staticmethod
    def start_run(
        store: BaseMetadataStore, name: str, owner: dict[str, object] | None = None, pipeline: str = "liveness"
    ) -> str:
        """A ``running`` run of ``pipeline`` recorded straight in ``store``, owned by ``owner`` (default: this process)."""
        from stackyard.metadata_stores.liveness import current_owner

        run_id = store.create_run(pipeline, name, stack={"name": "conformance"}, runtime_configuration={}, parameters={})
        store.heartbeat(run_id, owner=owner or current_owner())
        return run_id

    @staticmethod
    def elsewhere(**changes: object) -> dict[str, object]:
        """The owner record of a process on another host."""
        return {"host": f"elsewhere-{uuid.uuid4().hex[:8]}", "pid": 4242, "start_time": "x:1", "heartbeat_interval": 0.05, **changes}

    def test_a_new_run_has_a_heartbeat_from_its_start(self, metadata_store: BaseMetadataStore) -> None:
        import time

        before = time.time()
        run_id = metadata_store.create_run("liveness", self.run_name(), stack={}, runtime_configuration={}, parameters={})
        record = metadata_store.get_run(run_id)
        assert record is not None and record["status"] == "running"
        assert record["heartbeat"] is not None and before - 1 <= record["heartbeat"] <= time.time() + 1

    def test_the_owner_and_heartbeat_are_recorded(self, metadata_store: BaseMetadataStore) -> None:
        owner = self.elsewhere()
        run_id = self.start_run(metadata_store, self.run_name(), owner)
        first = metadata_store.get_run(run_id)
        assert first is not None and first["owner"] == owner
        metadata_store.heartbeat(run_id)
        again = metadata_store.get_run(run_id)
        assert again is not None and again["owner"] == owner and again["heartbeat"] >= first["heartbeat"]

    def test_a_stale_heartbeat_from_another_host_is_crashed(
        self, metadata_store: BaseMetadataStore, conformance_stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import time

        from stackyard.metadata_stores.liveness import GRACE_ENV
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository

        name = self.run_name()
        self.start_run(metadata_store, name, self.elsewhere())
        monkeypatch.setenv(GRACE_ENV, "3600")
        assert Repository().get_run(name, stack=conformance_stack).status is ExecutionStatus.RUNNING
        monkeypatch.setenv(GRACE_ENV, "0")
        time.sleep(0.3)  # longer than three of the owner's 0.05 s intervals
        run = Repository().get_run(name, stack=conformance_stack)
        assert run.status is ExecutionStatus.CRASHED
        assert "No heartbeat" in (run.error or "") and "pid 4242" in (run.error or "")
        assert name in [r.name for r in Repository().get_runs(stack=conformance_stack) if r.status is ExecutionStatus.CRASHED]

    def test_a_run_of_a_dead_process_on_this_host_is_crashed_at_once(
        self, metadata_store: BaseMetadataStore, conformance_stack: Stack
    ) -> None:
        import subprocess
        import sys

        from stackyard.metadata_stores.liveness import current_owner
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository

        finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        dead = {**current_owner(), "pid": int(finished.stdout), "start_time": None}
        live, gone = self.run_name(), self.run_name()
        self.start_run(metadata_store, live)
        self.start_run(metadata_store, gone, dead)
        assert Repository().get_run(live, stack=conformance_stack).status is ExecutionStatus.RUNNING
        assert Repository().get_run(gone, stack=conformance_stack).status is ExecutionStatus.CRASHED

    def test_mark_crashed_records_the_reason_once(self, metadata_store: BaseMetadataStore) -> None:
        run_id = self.start_run(metadata_store, self.run_name(), self.elsewhere())
        step_id = metadata_store.start_step(run_id, "stuck", parameters={}, cache_key="never-finished", inputs={})
        assert metadata_store.mark_crashed(run_id, "its process was killed") is True
        record = metadata_store.get_run(run_id)
        assert record is not None and (record["status"], record["error"]) == ("crashed", "its process was killed")
        assert record["ended"] is not None
        step = metadata_store.get_step(run_id, "stuck")
        assert step is not None and step["id"] == step_id and step["status"] not in ("running", "completed")
        assert metadata_store.mark_crashed(run_id, "again") is False
        assert (metadata_store.get_run(run_id) or {}).get("error") == "its process was killed"
        assert run_id not in [r["id"] for r in metadata_store.get_unfinished_runs("liveness")]

    def test_a_finished_run_is_never_marked_crashed(self, metadata_store: BaseMetadataStore) -> None:
        run_id = self.start_run(metadata_store, self.run_name(), self.elsewhere())
        metadata_store.finish_run(run_id, "completed")
        assert metadata_store.mark_crashed(run_id, "late") is False
        assert (metadata_store.get_run(run_id) or {}).get("status") == "completed"

    def test_unfinished_runs_are_the_running_ones(self, metadata_store: BaseMetadataStore) -> None:
        running = self.start_run(metadata_store, self.run_name())
        done = self.start_run(metadata_store, self.run_name())
        metadata_store.finish_run(done, "failed", error="x")
        ids = [r["id"] for r in metadata_store.get_unfinished_runs("liveness")]
        assert running in ids and done not in ids
        assert running in [r["id"] for r in metadata_store.get_unfinished_runs()]

    def test_a_step_that_did_not_complete_is_never_a_cache_hit(self, metadata_store: BaseMetadataStore) -> None:
        run_id = self.start_run(metadata_store, self.run_name(), self.elsewhere())
        key = f"unfinished-{uuid.uuid4().hex}"
        metadata_store.start_step(run_id, "stuck", parameters={}, cache_key=key, inputs={})
        assert metadata_store.find_cached_steps(key) == []
        metadata_store.mark_crashed(run_id, "killed")
        assert metadata_store.find_cached_steps(key) == []

    def test_the_next_run_records_a_crashed_run(
        self, metadata_store: BaseMetadataStore, conformance_stack: Stack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import time

        from stackyard.metadata_stores.liveness import GRACE_ENV
        from stackyard.testing.sample_pipelines import wide

        run_id = self.start_run(metadata_store, self.run_name(), self.elsewhere(), pipeline="wide")
        alive = self.start_run(metadata_store, self.run_name(), pipeline="wide")
        monkeypatch.setenv(GRACE_ENV, "0")
        time.sleep(0.3)
        wide().run(stack=conformance_stack, run_name=self.run_name())
        record = metadata_store.get_run(run_id)
        assert record is not None and record["status"] == "crashed" and "No heartbeat" in record["error"]
        assert (metadata_store.get_run(alive) or {}).get("status") == "running"  # this process is alive


__all__ = [
    "ArtifactStoreConformance",
    "ComponentConformance",
    "MetadataStoreConformance",
    "OrchestratorConformance",
    "SecretsManagerConformance",
]


class ExperimentTrackerConformance(_PipelineSuite):
    """Checks that an experiment tracker flavor logs from inside a step of a run on a stack.

    Provide an ``experiment_tracker`` fixture returning an instance of your
    flavor (pointing at a tracking server or folder the test owns).
    """

    @pytest.fixture
    def experiment_tracker(self) -> BaseExperimentTracker:
        pytest.fail("Define an `experiment_tracker` fixture returning an instance of your experiment tracker flavor.")

    @pytest.fixture
    def component(self, experiment_tracker: BaseExperimentTracker) -> BaseExperimentTracker:
        return experiment_tracker

    def test_is_an_experiment_tracker_flavor(self, experiment_tracker: BaseExperimentTracker) -> None:
        assert isinstance(experiment_tracker, BaseExperimentTracker)

    def test_a_step_logs_params_and_metrics_through_the_prepared_tracker(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.testing.sample_pipelines import tracked

        run = tracked(n=4).run(stack=conformance_stack, run_name=self.run_name())
        assert run.status is ExecutionStatus.COMPLETED
        assert run.get_step("track").output.read() == 4

    def test_a_failed_run_still_ends_cleanly(self, conformance_stack: Stack) -> None:
        from stackyard.testing.sample_pipelines import ConformanceStepError, failing, tracked

        with run_fails(ConformanceStepError, match="failed on purpose"):
            failing().run(stack=conformance_stack, run_name=self.run_name())
        again = tracked(n=3).run(stack=conformance_stack, run_name=self.run_name())
        assert again.get_step("track").output.read() == 3, "the tracker works for the next run after a failed one"


class AlerterConformance(_PipelineSuite):
    """Checks that an alerter flavor posts, and posts a failed run's message when ``post_on_failure`` is set.

    Provide an ``alerter`` fixture returning an instance of your flavor whose
    ``post`` delivers somewhere the test owns (a server on loopback, a file).
    """

    @pytest.fixture
    def alerter(self) -> BaseAlerter:
        pytest.fail("Define an `alerter` fixture returning an instance of your alerter flavor.")

    @pytest.fixture
    def component(self, alerter: BaseAlerter) -> BaseAlerter:
        return alerter

    def test_is_an_alerter_flavor(self, alerter: BaseAlerter) -> None:
        assert isinstance(alerter, BaseAlerter)
        assert "post_on_failure" in parameters(type(alerter)), "the alerter hides BaseAlerter's post_on_failure"

    def test_post_delivers(self, alerter: BaseAlerter) -> None:
        assert alerter.post("Stackyard conformance: a test message") is True

    def test_a_failed_run_posts_its_failure_when_asked(self, alerter: BaseAlerter, tmp_path: Path, stackyard_config: Path) -> None:
        import copy

        from stackyard.testing.sample_pipelines import ConformanceStepError, failing

        posted: list[str] = []
        asking = copy.copy(alerter)  # not attrs.evolve: a resolved secret would be refused by the constructor
        asking.post_on_failure = True
        original = asking.post

        def spy(message: str) -> bool:
            posted.append(message)
            return original(message)

        object.__setattr__(asking, "post", spy)
        name = self.run_name()
        with run_fails(ConformanceStepError):
            failing().run(stack=_stack_around(asking, tmp_path), run_name=name)
        assert len(posted) == 1, "cleanup_pipeline_run must call super() so post_on_failure posts once"
        assert name in posted[0] and "failed on purpose with 5" in posted[0]

    def test_nothing_is_posted_by_default(self, alerter: BaseAlerter, tmp_path: Path, stackyard_config: Path) -> None:
        from stackyard.testing.sample_pipelines import ConformanceStepError, failing

        posted: list[str] = []
        object.__setattr__(alerter, "post", lambda message: posted.append(message) or True)
        try:
            with run_fails(ConformanceStepError):
                failing().run(stack=_stack_around(alerter, tmp_path), run_name=self.run_name())
        finally:
            object.__delattr__(alerter, "post")
        assert alerter.post_on_failure is False and posted == []


class StepOperatorConformance(_PipelineSuite):
    """Checks that a step operator runs a step through core's one-step entry point, and reports its failure.

    Provide a ``step_operator`` fixture returning an instance of your flavor;
    the suite names it ``conformance`` (the name the sample steps ask for).
    Its ``launch`` must run the command in another process (or machine) that
    shares the test's artifact store, metadata store and environment.
    """

    @pytest.fixture
    def step_operator(self) -> BaseStepOperator:
        pytest.fail("Define a `step_operator` fixture returning an instance of your step operator flavor.")

    @pytest.fixture
    def component(self, step_operator: BaseStepOperator) -> BaseStepOperator:
        import attrs

        from stackyard.testing.sample_pipelines import OPERATOR_NAME

        return attrs.evolve(step_operator, name=OPERATOR_NAME)

    def test_is_a_step_operator_flavor(self, step_operator: BaseStepOperator) -> None:
        assert isinstance(step_operator, BaseStepOperator)

    def test_a_marked_step_runs_through_the_operator(self, conformance_stack: Stack) -> None:
        from stackyard.pipelines import ExecutionStatus
        from stackyard.testing.sample_pipelines import operated

        name = self.run_name()
        run = operated(n=4).run(stack=conformance_stack, run_name=name)
        assert run.status is ExecutionStatus.COMPLETED
        seen = run.get_step("operated_step").output.read()
        assert seen["value"] == 40 and seen["step"] == "operated_step" and seen["run"] == name
        assert seen["pid"] != os.getpid(), "the step ran in the orchestrator's process, not through the operator"
        assert run.get_step("unwrap").output.read() == 40, "a downstream step reads the operated step's output"
        step = run.get_step("operated_step")
        assert step.metadata["ran_in"] == seen["pid"]
        assert f"operated step ran in pid {seen['pid']}" in (step.logs or "")

    def test_a_failing_operated_step_fails_the_run_with_its_error(self, conformance_stack: Stack) -> None:
        from stackyard.exceptions import PipelineRunFailedError, RemoteStepError
        from stackyard.pipelines import ExecutionStatus
        from stackyard.repository import Repository
        from stackyard.testing.sample_pipelines import operated_failing

        name = self.run_name()
        with pytest.raises(PipelineRunFailedError) as caught:
            operated_failing().run(stack=conformance_stack, run_name=name)
        cause = caught.value.__cause__
        assert isinstance(cause, RemoteStepError) or type(cause).__name__ == "ConformanceStepError"
        assert "operated step failed on purpose with 6" in str(cause)
        run = Repository().get_run(name, stack=conformance_stack)
        assert run.get_step("operated_explode").status is ExecutionStatus.FAILED
