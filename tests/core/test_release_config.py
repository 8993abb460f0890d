"""A config folder written by Stackyard 0.1.0 (checked in under tests/fixtures) loads unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.files import SCHEMA_VERSION

FIXTURE = Path(__file__).parent.parent / "fixtures" / "config-0.1.0"
WRITTEN_AT = "/tmp/sy-release-config"  # where 0.1.0 wrote it; profile URLs name that folder


@pytest.fixture
def release_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The 0.1.0 folder, moved to a new place as a user would move it (profile URLs follow)."""
    target = tmp_path / "release-config"
    shutil.copytree(FIXTURE, target)
    for profile in (target / "profiles").glob("*.toml"):
        profile.write_text(profile.read_text().replace(WRITTEN_AT, str(target)))
    monkeypatch.setenv("STACKYARD_CONFIG_PATH", str(target))
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.toml"))}


def test_stacks_components_and_profiles_of_0_1_0_load_unchanged(release_config: Path) -> None:
    before = snapshot(release_config)
    repo = Repository()
    assert [p.name for p in repo.get_profiles()] == ["default", "team"]
    assert repo.active_profile_name == "default" and repo.active_stack_name == "dev"
    assert sorted(repo.stack_configurations) == ["default", "dev"]
    stack = repo.active_stack
    assert stack.artifact_store.path == "/data/scratch"
    assert stack.orchestrator.max_workers == 4
    assert stack.secrets_manager.path == "/data/secrets.json"
    assert repo.get_component_record("artifact_store", "scratch").package == "stackyard-local"
    assert snapshot(release_config) == before  # reading wrote nothing


def test_a_0_1_0_folder_keeps_working_for_writes(release_config: Path) -> None:
    from stackyard.stack.stack import Stack

    repo = Repository()
    dev = repo.get_stack("dev")
    repo.register_stack(Stack("copy", **{c.TYPE.value: c for c in dev}))  # type: ignore[arg-type]
    assert repo.get_stack_configuration("copy") == repo.get_stack_configuration("dev")
    text = (release_config / "profiles" / "default" / "stacks" / "copy.toml").read_text()
    assert text.startswith(f"schema_version = {SCHEMA_VERSION}\n")
