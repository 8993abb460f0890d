"""Repositories pin the active profile and stack; the Repository API manages stacks and components."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.enums import ProfileSource, StackComponentType
from stackyard.exceptions import (
    ComponentConfigError,
    FlavorNotFoundError,
    InUseError,
    InvalidNameError,
    RepositoryExistsError,
    StackComponentExistsError,
    StackComponentNotFoundError,
    StackExistsError,
    StackNotFoundError,
    StackValidationError,
)
from stackyard.files import read_toml
from stackyard.stack import Stack
from stackyard_local import LocalArtifactStore, LocalOrchestrator, SQLiteMetadataStore

ORCH = StackComponentType.ORCHESTRATOR
ART = StackComponentType.ARTIFACT_STORE


def make_custom_stack(repo: Repository, name: str = "custom") -> None:
    default = repo.get_stack("default")
    repo.register_stack(
        Stack(
            name=name,
            orchestrator=default.orchestrator,
            artifact_store=default.artifact_store,
            metadata_store=default.metadata_store,
        )
    )


# -- repositories ------------------------------------------------------------


def test_initialize_writes_the_current_profile_and_stack(isolated: Path) -> None:
    repo = Repository.initialize(isolated)
    assert repo.root == isolated
    data = read_toml(isolated / ".stackyard" / "config.toml")
    assert data["active_profile_name"] == "default"
    assert data["active_stack_name"] == "default"
    assert repo.active_profile_source is ProfileSource.LOCAL


def test_initialize_refuses_to_reinitialize_but_allows_a_nested_repository(
    isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Repository.initialize(isolated)
    with pytest.raises(RepositoryExistsError, match=f"already exists at {isolated}"):
        Repository.initialize(isolated)
    outer = Repository()
    outer.copy_stack("default", "inner-stack")
    outer.activate_stack("inner-stack")
    (isolated / "sub").mkdir()
    inner = Repository.initialize(isolated / "sub")
    assert "inside the one at" in caplog.text
    assert inner.root == isolated / "sub"
    assert inner.active_stack_name == "inner-stack"  # starts from the settings in force there
    inner.activate_stack("default")
    assert Repository().active_stack_name == "inner-stack"  # the outer one is untouched


def test_outside_a_repository_root_is_none() -> None:
    repo = Repository()
    assert repo.root is None
    assert repo.active_profile_source is ProfileSource.GLOBAL


def test_reference_example_local_profile_and_stack(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference's second detailed example, through the API."""
    setup = Repository()
    setup.create_profile("zenml")
    setup.activate_profile("zenml")
    make_custom_stack(Repository())
    Repository().activate_stack("custom")
    Repository().activate_profile("default")

    project = isolated / "zenml"
    project.mkdir()
    monkeypatch.chdir(project)
    Repository.initialize()
    repo = Repository()
    assert (repo.active_profile_name, repo.active_profile_source) == ("default", ProfileSource.LOCAL)

    repo.activate_profile("zenml")
    repo = Repository()
    assert (repo.active_profile_name, repo.active_stack_name) == ("zenml", "custom")

    repo.activate_stack("default")
    assert Repository().active_stack_name == "default"

    monkeypatch.chdir(isolated)  # cd ..: global settings untouched
    outside = Repository()
    assert (outside.active_profile_name, outside.active_profile_source) == ("default", ProfileSource.GLOBAL)
    assert {p.name: p.active_stack_name for p in outside.get_profiles()} == {"default": "default", "zenml": "custom"}

    monkeypatch.chdir(project)  # cd zenml: the local choice is back
    back = Repository()
    assert (back.active_profile_name, back.active_stack_name) == ("zenml", "default")


def test_subfolders_use_the_repository(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Repository.initialize(isolated)
    deep = isolated / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert Repository().root == isolated


def test_repository_path_environment_variable(isolated: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project = tmp_path / "project"
    Repository.initialize(project)
    monkeypatch.setenv("STACKYARD_REPOSITORY_PATH", str(project))
    assert Repository().root == project
    monkeypatch.setenv("STACKYARD_REPOSITORY_PATH", str(tmp_path / "nowhere"))
    assert Repository().root is None


def test_global_activation_from_inside_a_repository(isolated: Path) -> None:
    Repository.initialize(isolated)
    repo = Repository()
    make_custom_stack(repo)
    repo.activate_stack("custom", globally=True)
    assert repo.active_stack_name == "default"  # the repository's choice still wins here
    assert repo.get_profile("default").active_stack_name == "custom"


# -- stacks ------------------------------------------------------------------


def test_register_stack_registers_new_components() -> None:
    repo = Repository()
    stack = Stack(
        name="fresh",
        orchestrator=LocalOrchestrator(name="o2"),
        artifact_store=LocalArtifactStore(name="a2", path="/tmp/a2"),
        metadata_store=SQLiteMetadataStore(name="m2", uri="/tmp/m2.db"),
    )
    repo.register_stack(stack)
    assert repo.stack_configurations["fresh"] == {
        ORCH: "o2",
        ART: "a2",
        StackComponentType.METADATA_STORE: "m2",
    }
    assert repo.get_stack("fresh").artifact_store == stack.artifact_store


def test_register_stack_refuses_clashes_and_invalid_stacks() -> None:
    repo = Repository()
    with pytest.raises(StackExistsError, match="'default' already exists"):
        make_custom_stack(repo, "default")
    with pytest.raises(StackValidationError, match="missing required metadata store"):
        repo.register_stack(Stack(name="half", orchestrator=LocalOrchestrator(name="o")))
    clash = Stack(
        name="clash",
        orchestrator=LocalOrchestrator(name="default"),
        artifact_store=LocalArtifactStore(name="a3", path="/tmp/a3"),
        metadata_store=SQLiteMetadataStore(name="m3", uri="/tmp/m3.db"),
    )
    with pytest.raises(StackComponentExistsError, match="different orchestrator named 'default'"):
        repo.register_stack(clash)
    assert sorted(repo.stack_configurations) == ["default"]


def test_register_stack_writes_no_new_component_when_another_is_refused() -> None:
    repo = Repository()
    repo.register_stack_component(LocalArtifactStore(name="Shared", path="/tmp/s"))
    stack = Stack(
        name="partial",
        orchestrator=LocalOrchestrator(name="o4"),
        artifact_store=LocalArtifactStore(name="shared", path="/tmp/s"),  # a case twin of 'Shared'
        metadata_store=SQLiteMetadataStore(name="m4", uri="/tmp/m4.db"),
    )
    with pytest.raises(StackComponentExistsError, match="differing only in case"):
        repo.register_stack(stack)
    assert "o4" not in repo.component_names(ORCH) and "m4" not in repo.component_names("metadata_store")
    assert "partial" not in repo.stack_names()


def test_update_rename_copy_and_delete_stacks() -> None:
    repo = Repository()
    repo.register_stack_component(LocalOrchestrator(name="o2"))
    make_custom_stack(repo)
    repo.update_stack("custom", {"orchestrator": "o2"})
    assert repo.stack_configurations["custom"][ORCH] == "o2"
    repo.copy_stack("custom", "copy")
    repo.rename_stack("copy", "renamed")
    assert sorted(repo.stack_configurations) == ["custom", "default", "renamed"]
    repo.deregister_stack("renamed")
    with pytest.raises(StackNotFoundError, match="No stack named 'renamed'"):
        repo.get_stack("renamed")


def test_update_stack_cannot_drop_a_required_component() -> None:
    repo = Repository()
    with pytest.raises(InUseError, match="required"):
        repo.update_stack("default", {"artifact_store": None})
    with pytest.raises(StackComponentNotFoundError):
        repo.update_stack("default", {"artifact_store": "ghost"})
    assert repo.stack_configurations["default"][ART] == "default"


def test_renaming_the_active_stack_keeps_it_active() -> None:
    repo = Repository()
    repo.rename_stack("default", "main")
    assert Repository().active_stack_name == "main"


def test_deleting_the_active_stack_is_refused() -> None:
    repo = Repository()
    with pytest.raises(InUseError, match="active"):
        repo.deregister_stack("default")
    assert "default" in repo.stack_configurations


def test_unknown_stack_suggests_a_close_match() -> None:
    repo = Repository()
    make_custom_stack(repo)
    with pytest.raises(StackNotFoundError, match="Did you mean 'custom'"):
        repo.activate_stack("custon")


# -- components ----------------------------------------------------------------


def test_register_list_update_and_delete_components() -> None:
    repo = Repository()
    repo.register_stack_component(LocalArtifactStore(name="mine", path="/tmp/mine"))
    assert [c.name for c in repo.get_stack_components("artifact-store")] == ["default", "mine"]
    record = repo.get_component_record(ART, "mine")
    assert (record.flavor, record.config, record.package) == ("local", {"path": "/tmp/mine"}, "stackyard-local")

    updated = repo.update_stack_component(ART, "mine", {"path": "/tmp/other"})
    assert updated.path == "/tmp/other"
    assert repo.load_stack_component(ART, "mine").path == "/tmp/other"
    assert repo.load_stack_component(ART, "mine").uuid == updated.uuid

    repo.deregister_stack_component(ART, "mine")
    assert [c.name for c in repo.get_stack_components(ART)] == ["default"]


def test_update_component_reports_bad_parameters_and_changes_nothing() -> None:
    repo = Repository()
    repo.register_stack_component(SQLiteMetadataStore(name="db", uri="/tmp/db"))
    with pytest.raises(ComponentConfigError, match="unknown parameter url"):
        repo.update_stack_component("metadata_store", "db", {"url": "x"})
    with pytest.raises(ComponentConfigError, match="uri is required and cannot be removed"):
        repo.update_stack_component("metadata_store", "db", remove=["uri"])
    assert repo.get_stack_component("metadata_store", "db").config == {"uri": "/tmp/db"}


def test_rename_component_and_stacks_follow() -> None:
    repo = Repository()
    repo.rename_stack_component(ORCH, "default", "local-runner")
    assert repo.stack_configurations["default"][ORCH] == "local-runner"
    assert repo.active_stack.orchestrator.name == "local-runner"
    with pytest.raises(StackComponentExistsError):
        repo.rename_stack_component(ART, "default", "default")


def test_component_used_by_a_stack_cannot_be_deleted() -> None:
    repo = Repository()
    make_custom_stack(repo)
    with pytest.raises(InUseError, match="used by stacks 'custom', 'default'"):
        repo.deregister_stack_component(ORCH, "default")


def test_component_name_clash_and_invalid_names() -> None:
    repo = Repository()
    with pytest.raises(StackComponentExistsError, match="artifact store named 'default' already exists"):
        repo.register_stack_component(LocalArtifactStore(name="default", path="/tmp/x"))
    with pytest.raises(InvalidNameError):
        repo.rename_stack_component(ART, "default", "a/b")


def test_unknown_component_suggests_a_close_match() -> None:
    with pytest.raises(StackComponentNotFoundError, match="Did you mean 'default'"):
        Repository().get_stack_component(ART, "defualt")


# -- flavors -------------------------------------------------------------------


def test_installed_flavors_know_their_package() -> None:
    flavor = Repository().get_flavor("artifact_store", "local")
    assert (flavor.package, flavor.version) == ("stackyard-local", "0.1.0")
    assert flavor.implementation is LocalArtifactStore
    assert flavor.source == "stackyard_local.artifact_store.LocalArtifactStore"
    assert flavor.description == "Keeps artifacts in a folder on this machine."
    assert list(flavor.parameters) == ["path"]


def test_unknown_flavor_lists_what_exists() -> None:
    # other installed packages (stackyard-sql) may add flavors to the list
    with pytest.raises(FlavorNotFoundError, match=r"No metadata store flavor named 'mongodb'\. Available: (.+, )?sqlite(, .+)?\.$"):
        Repository().get_flavor("metadata_store", "mongodb")


def test_component_whose_flavor_is_gone_still_lists_and_deletes(config_dir: Path) -> None:
    repo = Repository()
    path = config_dir / "profiles" / "default" / "components" / "alerter" / "pager.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        'schema_version = 1\nname = "pager"\nuuid = "u1"\ntype = "alerter"\nflavor = "pagerduty"\n'
        'package = "stackyard-pagerduty"\n[config]\nkey = "secret"\n'
    )
    (record,) = repo.get_stack_components("alerter")
    assert (record.name, record.flavor, record.config) == ("pager", "pagerduty", {"key": "secret"})
    with pytest.raises(FlavorNotFoundError, match=r"flavor missing \(install stackyard-pagerduty\)"):
        repo.load_stack_component("alerter", "pager")
    repo.deregister_stack_component("alerter", "pager")
    assert repo.get_stack_components("alerter") == []


def test_updating_a_component_keeps_the_stacks_using_it_valid(tmp_path: Path) -> None:
    from stackyard.alerters import BaseAlerter  # noqa: F401 - flavor below is registered as custom
    module = tmp_path / "needs_remote.py"
    module.write_text(
        "from typing import ClassVar\n"
        "from stackyard_local import LocalArtifactStore\n"
        "class RemoteOnly(LocalArtifactStore):\n"
        "    FLAVOR: ClassVar[str] = 'remote-only'\n"
        "    def validate_stack(self, stack):\n"
        "        return [] if self.path.startswith('/remote') else ['path must be under /remote']\n"
    )
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        repo = Repository()
        flavor = repo.register_flavor("needs_remote.RemoteOnly")
        repo.register_stack_component(flavor.create("far", {"path": "/remote/a"}))
        repo.copy_stack("default", "remote")
        repo.update_stack("remote", {"artifact_store": "far"})
        with pytest.raises(StackValidationError, match="path must be under /remote"):
            repo.update_stack_component(ART, "far", {"path": "/local"})
        assert repo.get_stack_component(ART, "far").config == {"path": "/remote/a"}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("needs_remote", None)


def test_register_stack_refuses_a_same_named_component_with_other_settings() -> None:
    repo = Repository()
    default = repo.load_stack_component(ART, "default")
    changed = LocalArtifactStore(name="default", uuid=default.uuid, path="/elsewhere")
    stack = Stack(
        name="sneaky",
        orchestrator=repo.load_stack_component(ORCH, "default"),
        artifact_store=changed,
        metadata_store=repo.load_stack_component("metadata_store", "default"),
    )
    with pytest.raises(StackComponentExistsError, match="different artifact store named 'default'"):
        repo.register_stack(stack)


def test_a_damaged_component_file_can_still_be_deleted(config_dir: Path) -> None:
    repo = Repository()
    repo.register_stack_component(LocalArtifactStore(name="bad", path="/tmp/bad"))
    path = config_dir / "profiles" / "default" / "components" / "artifact_store" / "bad.toml"
    path.write_text("garbage = [")
    repo.deregister_stack_component(ART, "bad")
    assert not path.exists()


def test_custom_flavors_can_be_deregistered(isolated: Path) -> None:
    (isolated / "quiet.py").write_text(
        "from typing import ClassVar\nfrom stackyard.alerters import BaseAlerter\n"
        "class Quiet(BaseAlerter):\n    FLAVOR: ClassVar[str] = 'quiet'\n"
        "    def post(self, m): return True\n    def ask(self, q): return False\n"
    )
    repo = Repository()
    installed = [f.name for f in repo.get_flavors("alerter")]  # other flavor packages may provide some (stackyard-apprise)
    repo.register_flavor("quiet.Quiet")
    assert [f.name for f in repo.get_flavors("alerter")] == sorted([*installed, "quiet"])
    repo.register_stack_component(repo.get_flavor("alerter", "quiet").create("q", {}))
    with pytest.raises(InUseError, match="used by component 'q'; delete that component first"):
        repo.deregister_flavor("alerter", "quiet")
    repo.deregister_stack_component("alerter", "q")
    repo.deregister_flavor("alerter", "quiet")
    assert [f.name for f in repo.get_flavors("alerter")] == installed
    with pytest.raises(InUseError, match="installed package stackyard-local"):
        repo.deregister_flavor("orchestrator", "local")
    with pytest.raises(FlavorNotFoundError):
        repo.deregister_flavor("alerter", "quiet")


def test_an_active_stack_that_does_not_exist_says_where_it_was_chosen(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKYARD_STACK", "nope")
    with pytest.raises(StackNotFoundError, match="STACKYARD_STACK names the stack 'nope', which does not exist"):
        Repository().active_stack_name  # noqa: B018
    monkeypatch.delenv("STACKYARD_STACK")

    Repository.initialize(isolated)
    repo = Repository()
    repo.copy_stack("default", "pinned")
    repo.activate_stack("pinned")
    Repository(isolated.parent).rename_stack("pinned", "moved")  # from outside the repository
    with pytest.raises(StackNotFoundError, match=f"The repository at {isolated} uses the stack 'pinned'"):
        Repository().active_stack  # noqa: B018


def test_deleting_an_active_stack_says_where_it_is_active(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Repository.initialize(isolated)
    repo = Repository()
    for name in ("here", "there", "env"):
        repo.copy_stack("default", name)
    repo.activate_stack("here")
    repo.activate_stack("there", globally=True)
    with pytest.raises(InUseError, match=f"'here' is active in the repository at {isolated}"):
        repo.deregister_stack("here")
    with pytest.raises(InUseError, match=r"'there' is active globally in profile 'default'.*activate another one\.") as info:
        repo.deregister_stack("there")
    assert (info.value.kind, info.value.name, info.value.scope) == ("stack", "there", "global")
    monkeypatch.setenv("STACKYARD_STACK", "env")
    with pytest.raises(InUseError, match="'env' is active through STACKYARD_STACK and cannot be deleted; unset it first"):
        Repository().deregister_stack("env")
    monkeypatch.delenv("STACKYARD_STACK")
    Repository().deregister_stack("default")
    assert sorted(Repository().stack_configurations) == ["env", "here", "there"]


def test_an_unknown_flavor_suggests_a_close_name_or_the_package_it_came_from(config_dir: Path) -> None:
    repo = Repository()
    with pytest.raises(FlavorNotFoundError, match="No metadata store flavor named 'sqlit'. Did you mean 'sqlite'?"):
        repo.get_flavor("metadata_store", "sqlit")
    path = config_dir / "profiles" / "default" / "components" / "alerter" / "pager.toml"
    path.parent.mkdir(parents=True)
    path.write_text(
        'schema_version = 1\nname = "pager"\nuuid = "u1"\ntype = "alerter"\nflavor = "pagerduty"\n'
        'package = "stackyard-pagerduty"\n[config]\n'
    )
    with pytest.raises(FlavorNotFoundError, match="provided by the package 'stackyard-pagerduty'"):
        repo.get_flavor("alerter", "pagerduty")


def test_names_that_differ_only_in_case_or_end_with_a_dot_are_refused() -> None:
    repo = Repository()
    with pytest.raises(StackComponentExistsError, match="named 'default' already exists; names differing only in case"):
        repo.register_stack_component(LocalArtifactStore(name="Default", path="/tmp/x"))
    with pytest.raises(StackExistsError, match="differing only in case"):
        repo.copy_stack("default", "DEFAULT")
    with pytest.raises(InvalidNameError, match="nor ending with '.'"):
        repo.copy_stack("default", "dev.")
    assert list(repo.stack_configurations) == ["default"]
