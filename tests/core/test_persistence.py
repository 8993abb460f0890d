"""Persistence: one file per entity, schema versions, damaged files, concurrent processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.exceptions import ConfigFileError
from stackyard.files import read_toml
from stackyard_local import LocalArtifactStore


def store_dir(config_dir: Path) -> Path:
    return config_dir / "profiles" / "default"


def test_one_file_per_entity_each_with_a_schema_version(config_dir: Path) -> None:
    repo = Repository()
    repo.register_stack_component(LocalArtifactStore(name="extra", path="/tmp/extra"))
    files = sorted(p.relative_to(config_dir).as_posix() for p in config_dir.rglob("*.toml"))
    assert files == [
        "config.toml",
        "profiles/default.toml",
        "profiles/default/components/artifact_store/default.toml",
        "profiles/default/components/artifact_store/extra.toml",
        "profiles/default/components/metadata_store/default.toml",
        "profiles/default/components/orchestrator/default.toml",
        "profiles/default/stacks/default.toml",
    ]
    assert all(read_toml(config_dir / f)["schema_version"] == 1 for f in files)


def test_registering_a_component_leaves_other_files_alone(config_dir: Path) -> None:
    repo = Repository()
    repo.active_stack_name  # noqa: B018 - creates the default profile
    before = {p: p.stat().st_mtime_ns for p in config_dir.rglob("*.toml")}
    repo.register_stack_component(LocalArtifactStore(name="extra", path="/tmp/extra"))
    after = {p: p.stat().st_mtime_ns for p in config_dir.rglob("*.toml") if p in before}
    assert after == before


def test_no_temporary_files_are_left_behind(config_dir: Path) -> None:
    repo = Repository()
    for i in range(5):
        repo.register_stack_component(LocalArtifactStore(name=f"s{i}", path="/tmp/s"))
        repo.update_stack_component("artifact_store", f"s{i}", {"path": "/tmp/t"})
    assert not [p for p in config_dir.rglob("*.tmp")]


def test_a_damaged_stack_file_is_named_and_left_untouched(config_dir: Path) -> None:
    repo = Repository()
    repo.copy_stack("default", "broken")
    path = store_dir(config_dir) / "stacks" / "broken.toml"
    path.write_text("components = [not toml")
    with pytest.raises(ConfigFileError, match=r"broken\.toml: not valid TOML") as info:
        repo.get_stack("broken")
    assert info.value.path == path
    assert path.read_text() == "components = [not toml"
    assert repo.active_stack.name == "default"


def test_a_damaged_component_file_is_named(config_dir: Path) -> None:
    repo = Repository()
    path = store_dir(config_dir) / "components" / "orchestrator" / "default.toml"
    repo.active_stack_name  # noqa: B018
    path.write_text('schema_version = 1\nname = "default"\nflavor = "local"\n')
    with pytest.raises(ConfigFileError, match=r"orchestrator[/\\]default\.toml: missing field 'type'"):
        repo.get_stack_components("orchestrator")


def test_a_damaged_global_config_is_named(config_dir: Path) -> None:
    Repository().active_stack_name  # noqa: B018
    (config_dir / "config.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigFileError, match=r"config\.toml: not UTF-8"):
        Repository().active_profile_name  # noqa: B018


def test_a_file_from_a_newer_stackyard_is_refused(config_dir: Path) -> None:
    Repository().active_stack_name  # noqa: B018
    path = store_dir(config_dir) / "stacks" / "default.toml"
    path.write_text(path.read_text().replace("schema_version = 1", "schema_version = 99"))
    with pytest.raises(ConfigFileError, match="newer Stackyard .schema version 99"):
        Repository().get_stack("default")


def test_a_damaged_repository_config_is_named(isolated: Path) -> None:
    Repository.initialize(isolated)
    (isolated / ".stackyard" / "config.toml").write_text("active_profile_name = ")
    with pytest.raises(ConfigFileError, match=r"\.stackyard[/\\]config\.toml"):
        Repository()


def run_workers(script: str, count: int) -> list[subprocess.CompletedProcess[str]]:
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_parallel_processes_registering_components_lose_none(config_dir: Path) -> None:
    script = """
        import sys
        from stackyard import Repository
        from stackyard_local import LocalArtifactStore
        worker = sys.argv[1]
        repo = Repository()
        for i in range(15):
            repo.register_stack_component(LocalArtifactStore(name=f"w{worker}-{i}", path=f"/tmp/{worker}/{i}"))
        repo.copy_stack("default", f"stack-{worker}")
    """
    results = run_workers(script, 6)
    assert [r.stderr for r in results if r.returncode] == []
    repo = Repository()
    names = [c.name for c in repo.get_stack_components("artifact_store")]
    assert len(names) == 1 + 6 * 15
    assert sorted(repo.stack_configurations) == ["default"] + [f"stack-{w}" for w in range(6)]
    assert [p.name for p in repo.get_profiles()] == ["default"]


def test_parallel_first_use_creates_one_default_profile(config_dir: Path) -> None:
    script = """
        from stackyard import Repository
        print(Repository().active_stack.artifact_store.path)
    """
    results = run_workers(script, 5)
    assert [r.stderr for r in results if r.returncode] == []
    assert len({r.stdout for r in results}) == 1
    assert len(Repository().get_stack_components("artifact_store")) == 1


def test_parallel_updates_to_one_component_leave_a_valid_file(config_dir: Path) -> None:
    Repository().register_stack_component(LocalArtifactStore(name="hot", path="/tmp/0"))
    script = """
        import sys
        from stackyard import Repository
        repo = Repository()
        for i in range(20):
            repo.update_stack_component("artifact_store", "hot", {"path": f"/tmp/{sys.argv[1]}-{i}"})
    """
    results = run_workers(script, 4)
    assert [r.stderr for r in results if r.returncode] == []
    final = Repository().load_stack_component("artifact_store", "hot").path
    assert final.endswith("-19")


def test_listing_sees_every_change_behind_its_index(config_dir: Path) -> None:
    repo = Repository()
    for i in range(3):
        repo.register_stack_component(LocalArtifactStore(name=f"s{i}", path=f"/tmp/{i}"))
    assert [c.name for c in repo.get_stack_components("artifact_store")] == ["default", "s0", "s1", "s2"]
    folder = store_dir(config_dir) / "components" / "artifact_store"
    assert (folder / ".index.json").is_file()

    repo.update_stack_component("artifact_store", "s1", {"path": "/tmp/changed"})
    (folder / "s2.toml").write_text((folder / "s2.toml").read_text().replace("/tmp/2", "/tmp/edited-by-hand"))
    repo.deregister_stack_component("artifact_store", "s0")
    listed = {c.name: c.config["path"] for c in repo.get_stack_components("artifact_store")}
    assert listed.pop("default")
    assert listed == {"s1": "/tmp/changed", "s2": "/tmp/edited-by-hand"}

    (folder / ".index.json").write_text("{damaged")
    assert [c.name for c in repo.get_stack_components("artifact_store")] == ["default", "s1", "s2"]


def test_a_damaged_file_is_named_even_when_listing_through_the_index(config_dir: Path) -> None:
    repo = Repository()
    repo.get_stack_components("artifact_store")
    path = store_dir(config_dir) / "components" / "artifact_store" / "default.toml"
    path.write_text("name = [")
    with pytest.raises(ConfigFileError, match=r"artifact_store[/\\]default\.toml: not valid TOML"):
        repo.get_stack_components("artifact_store")
