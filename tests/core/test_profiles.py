"""Profiles: the default one, creation, isolation, activation, deletion."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.enums import ProfileSource, StackComponentType
from stackyard.exceptions import InUseError, InvalidNameError, ProfileExistsError, ProfileNotFoundError, StackyardError
from stackyard.stack import Stack
from stackyard_local import LocalArtifactStore


def test_default_profile_is_local_with_a_file_url(config_dir: Path) -> None:
    repo = Repository()
    (profile,) = repo.get_profiles()
    assert (profile.name, profile.store_type, profile.active_stack_name) == ("default", "local", "default")
    assert profile.url == (config_dir / "profiles" / "default").as_uri()
    assert profile.url.startswith("file://")
    assert repo.active_profile_source is ProfileSource.GLOBAL


def test_default_components_keep_their_data_under_the_config_dir(config_dir: Path) -> None:
    stack = Repository().active_stack
    assert Path(stack.artifact_store.path).parent == config_dir / "local_stores"
    assert Path(stack.metadata_store.uri).parent.parent == config_dir / "local_stores"


def test_created_profile_gets_its_own_default_stack() -> None:
    repo = Repository()
    profile = repo.create_profile("zenml")
    assert profile.active_stack_name == "default"
    assert [p.name for p in repo.get_profiles()] == ["default", "zenml"]
    repo.activate_profile("zenml")
    assert Repository().stack_configurations.keys() == {"default"}
    default_uuid = Repository().get_stack_component("orchestrator", "default").uuid
    repo.activate_profile("default")
    assert Repository().get_stack_component("orchestrator", "default").uuid != default_uuid


def test_profile_with_a_custom_store_url(tmp_path: Path) -> None:
    repo = Repository()
    store = tmp_path / "elsewhere"
    profile = repo.create_profile("far", url=store.as_uri())
    assert profile.store_path == store
    assert (store / "stacks" / "default.toml").is_file()


def test_reference_example_profiles_are_isolated() -> None:
    repo = Repository()
    repo.create_profile("zenml")
    repo.activate_profile("zenml")
    repo = Repository()
    assert repo.active_profile_name == "zenml"
    default = repo.get_stack("default")
    repo.register_stack(
        Stack(
            name="custom",
            orchestrator=default.orchestrator,
            artifact_store=default.artifact_store,
            metadata_store=default.metadata_store,
        )
    )
    repo.activate_stack("custom")
    assert repo.active_stack_name == "custom"
    assert sorted(repo.stack_configurations) == ["custom", "default"]
    assert {p.name: p.active_stack_name for p in repo.get_profiles()} == {"default": "default", "zenml": "custom"}

    repo.activate_profile("default")
    repo = Repository()
    assert repo.active_profile_name == "default"
    assert list(repo.stack_configurations) == ["default"]
    assert repo.active_stack_name == "default"


def test_components_and_custom_flavors_do_not_leak_between_profiles() -> None:
    repo = Repository()
    repo.register_stack_component(LocalArtifactStore(name="only-here", path="/tmp/x"))
    repo.create_profile("other")
    repo.activate_profile("other")
    assert [c.name for c in Repository().get_stack_components("artifact_store")] == ["default"]


def test_create_profile_refuses_clashing_and_invalid_names() -> None:
    repo = Repository()
    with pytest.raises(ProfileExistsError, match="'default' already exists"):
        repo.create_profile("default")
    with pytest.raises(InvalidNameError):
        repo.create_profile("../escape")
    with pytest.raises(StackyardError, match="Unknown store type 'sql'"):
        repo.create_profile("p", store_type="sql")
    assert [p.name for p in repo.get_profiles()] == ["default"]


def test_unknown_profile_suggests_a_close_match() -> None:
    repo = Repository()
    repo.create_profile("research")
    with pytest.raises(ProfileNotFoundError, match="No profile named 'reserch'. Did you mean 'research'?") as info:
        repo.activate_profile("reserch")
    assert isinstance(info.value, KeyError)


def test_delete_profile(config_dir: Path) -> None:
    repo = Repository()
    repo.create_profile("temp")
    repo.delete_profile("temp")
    assert [p.name for p in repo.get_profiles()] == ["default"]
    assert not (config_dir / "profiles" / "temp").exists()


def test_delete_active_profile_is_refused() -> None:
    repo = Repository()
    with pytest.raises(InUseError, match="globally active"):
        repo.delete_profile("default")


def test_delete_profile_active_in_the_repository_is_refused(isolated: Path) -> None:
    repo = Repository()
    repo.create_profile("proj")
    Repository.initialize(isolated)
    local = Repository()
    local.activate_profile("proj")
    with pytest.raises(InUseError, match="active in the repository"):
        local.delete_profile("proj")
    assert "proj" in [p.name for p in local.get_profiles()]


def test_environment_overrides_profile_and_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repository()
    repo.create_profile("envp")
    monkeypatch.setenv("STACKYARD_PROFILE", "envp")
    repo = Repository()
    assert repo.active_profile_name == "envp"
    assert repo.active_profile_source is ProfileSource.ENVIRONMENT
    repo.copy_stack("default", "other")
    monkeypatch.setenv("STACKYARD_STACK", "other")
    assert Repository().active_stack_name == "other"
    with pytest.raises(InUseError, match="STACKYARD_PROFILE"):
        Repository().delete_profile("envp")


def test_missing_local_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_DISABLE_PLUGINS", "local")
    with pytest.raises(StackyardError, match="pip install stackyard-local"):
        Repository().active_stack_name  # noqa: B018 - first use creates the default profile


def test_a_repository_naming_a_deleted_profile_says_so(isolated: Path) -> None:
    repo = Repository()
    repo.create_profile("gone")
    Repository.initialize(isolated)
    Repository().activate_profile("gone")
    repo.get_profile("gone")
    Repository(isolated.parent).delete_profile("gone")
    with pytest.raises(ProfileNotFoundError, match="The repository at .* uses the profile 'gone', which does not exist"):
        Repository().active_stack  # noqa: B018


def test_a_relative_store_path_is_made_absolute(isolated: Path) -> None:
    profile = Repository().create_profile("rel", url="stores/rel")
    assert profile.url == (isolated / "stores" / "rel").as_uri()
    assert Repository().get_profile("rel").store_path == isolated / "stores" / "rel"


def test_profiles_cannot_share_a_store_and_bad_urls_change_nothing(tmp_path: Path, config_dir: Path) -> None:
    repo = Repository()
    shared = (tmp_path / "shared").as_uri()
    repo.create_profile("one", url=shared)
    with pytest.raises(StackyardError, match="Profile 'one' already keeps its stacks at .*choose another URL"):
        repo.create_profile("two", url=shared)
    with pytest.raises(StackyardError, match="needs a file:// URL or a folder"):
        repo.create_profile("web", url="http://example.com/store")
    with pytest.raises(ProfileExistsError, match="names differing only in case"):
        repo.create_profile("ONE")
    assert [p.name for p in repo.get_profiles()] == ["default", "one"]
