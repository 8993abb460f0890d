"""One value path: a parameter of every kind goes from user input to TOML and back unchanged.

The flavor here comes from an installed third-party plugin, as in the bug report
where a flavor with an unset optional parameter could never join a stack.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard import Repository
from stackyard.exceptions import (
    ComponentConfigError,
    FlavorNotFoundError,
    PluginMissingError,
    RuntimeOptionError,
    StackComponentExistsError,
)
from stackyard.records import ComponentRecord, same_component
from stackyard.stack.stack import Stack
from stackyard.stack.unavailable import UnavailableComponent
from stackyard.stack_export import export_stack_toml, import_stack_toml

ALL_KINDS = '''
import enum
from pathlib import Path
from typing import ClassVar, Optional

from stackyard import hookimpl
from stackyard_local import LocalArtifactStore


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


class OptStore(LocalArtifactStore):
    """An artifact store with a parameter of every kind."""

    FLAVOR: ClassVar[str] = "optstore"
    label: Optional[str] = None
    note: Optional[str] = None
    tags: list = []
    limits: dict = {}
    mode: Mode = Mode.SAFE
    cache_dir: Optional[Path] = None
    verbose: bool = False
    retries: int = 3
    ratio: float = 0.5
    nested: dict = {}


@hookimpl
def stackyard_artifact_store_flavors():
    return [OptStore]
'''

USER_INPUT = {
    "path": "/data/artifacts",
    "note": "set",
    "tags": '["a", "b"]',
    "limits": '{"cpu": 2}',
    "mode": "fast",
    "cache_dir": "/tmp/cache",
    "verbose": "true",
    "retries": "7",
    "ratio": "0.25",
    "nested": '{"outer": {"inner": "text"}}',
}


@pytest.fixture
def optstore(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-optstore", "stackyard_optstore_plugin", ALL_KINDS)


def expected_values(component: object) -> None:
    assert component.label is None and component.note == "set"  # type: ignore[attr-defined]
    assert component.tags == ["a", "b"] and component.limits == {"cpu": 2}  # type: ignore[attr-defined]
    assert component.mode.value == "fast" and component.cache_dir == Path("/tmp/cache")  # type: ignore[attr-defined]
    assert (component.verbose, component.retries, component.ratio) == (True, 7, 0.25)  # type: ignore[attr-defined]
    assert component.nested == {"outer": {"inner": "text"}}  # type: ignore[attr-defined]


def test_every_kind_of_parameter_round_trips_through_register_toml_load_stack_and_export(optstore: None) -> None:
    repo = Repository()
    created = repo.get_flavor("artifact_store", "optstore").create("opt", USER_INPUT)
    expected_values(created)
    repo.register_stack_component(created)

    loaded = repo.get_stack_component("artifact_store", "opt")
    assert loaded == created
    expected_values(loaded)
    assert "label" not in repo.get_component_record("artifact_store", "opt").config  # None is not stored

    default = repo.active_stack
    repo.register_stack(Stack("s2", orchestrator=default.orchestrator, metadata_store=default.metadata_store, artifact_store=loaded))
    repo.register_stack(Stack("s3", orchestrator=default.orchestrator, metadata_store=default.metadata_store, artifact_store=created))
    assert repo.get_stack("s2").artifact_store == created

    text = export_stack_toml(repo, "s2")
    repo.create_profile("other")
    repo.activate_profile("other")
    report = import_stack_toml(repo, "copied", text)
    assert [(c.name, c.status) for c in report if c.type.value == "artifact_store"] == [("opt", "new")]
    imported = Repository().get_stack("copied").artifact_store
    assert imported == created  # same uuid, same values
    assert import_stack_toml(Repository(), "again", text)[1].status == "reused"


def test_the_stored_form_is_the_record_and_one_rule_compares_it(optstore: None) -> None:
    repo = Repository()
    component = repo.get_flavor("artifact_store", "optstore").create("opt", {"path": "/x"})
    record = ComponentRecord.of(component, "stackyard-optstore")
    assert record.config == {
        "path": "/x", "tags": [], "limits": {}, "mode": "safe", "verbose": False, "retries": 3, "ratio": 0.5, "nested": {},
    }
    assert same_component(record, component)
    stripped = ComponentRecord(record.type, record.flavor, record.name, record.uuid, {"path": "/x"}, record.package)
    assert same_component(stripped, component)  # defaults left out of the file still compare equal
    changed = ComponentRecord(record.type, record.flavor, record.name, record.uuid, {"path": "/y"}, record.package)
    assert not same_component(changed, component)


def test_a_different_component_under_a_taken_name_is_still_refused(optstore: None) -> None:
    repo = Repository()
    flavor = repo.get_flavor("artifact_store", "optstore")
    repo.register_stack_component(flavor.create("opt", {"path": "/x"}))
    default = repo.active_stack
    other = flavor.create("opt", {"path": "/elsewhere"})
    with pytest.raises(StackComponentExistsError, match="A different artifact store named 'opt'"):
        repo.register_stack(Stack("s2", orchestrator=default.orchestrator, metadata_store=default.metadata_store, artifact_store=other))
    assert "s2" not in repo.stack_configurations


def test_get_stack_component_returns_an_instance_with_parameters_as_attributes() -> None:
    component = Repository().get_stack_component("artifact_store", "default")
    assert type(component).__name__ == "LocalArtifactStore"
    assert component.path.endswith(str(component.uuid))


def test_a_component_whose_flavor_is_gone_lists_describes_deletes_and_refuses_to_run(
    optstore: None, tmp_path: Path
) -> None:
    import shutil

    repo = Repository()
    repo.register_stack_component(repo.get_flavor("artifact_store", "optstore").create("opt", {"path": "/x"}))
    repo.copy_stack("default", "uses-opt")
    repo.update_stack("uses-opt", {"artifact_store": "opt"})
    site = tmp_path / "site-packages"  # where make_plugin installed the package: uninstall it
    (site / "stackyard_optstore_plugin.py").unlink()
    shutil.rmtree(site / "stackyard_optstore-1.0.dist-info")
    sys.modules.pop("stackyard_optstore_plugin", None)
    repo.reload_plugins()

    (listed,) = [c for c in repo.get_stack_components("artifact_store") if c.name == "opt"]
    assert isinstance(listed, UnavailableComponent)
    assert listed.note == "flavor missing (install stackyard-optstore)"
    assert (listed.flavor, listed.path, listed.package) == ("optstore", "/x", "stackyard-optstore")
    assert repo.get_stack_component("artifact_store", "opt").config == listed.config
    with pytest.raises(PluginMissingError, match=r"cannot run: flavor missing \(install stackyard-optstore\)"):
        listed.prepare_pipeline_run()
    with pytest.raises(FlavorNotFoundError, match="install stackyard-optstore"):
        repo.get_stack("uses-opt")
    repo.deregister_stack("uses-opt")
    repo.deregister_stack_component("artifact_store", "opt")
    assert [c.name for c in repo.get_stack_components("artifact_store")] == ["default"]


def test_runtime_options_are_converted_to_their_declared_type_before_a_run_is_recorded() -> None:
    from stackyard.testing.sample_pipelines import diamond

    repo = Repository()
    with pytest.raises(RuntimeOptionError, match="max_workers: expected an integer, got 'abc'"):
        diamond(n=2).run(max_workers="abc")
    assert repo.get_runs() == []
    run = diamond(n=2).run(max_workers="1")
    assert run.runtime_configuration["max_workers"] == 1


def test_every_bad_value_is_reported_at_once(optstore: None) -> None:
    flavor = Repository().get_flavor("artifact_store", "optstore")
    with pytest.raises(ComponentConfigError) as info:
        flavor.create("opt", {"path": "/x", "retries": "many", "ratio": "half", "mode": "turbo"})
    assert sorted(p.split(":")[0] for p in info.value.problems) == ["mode", "ratio", "retries"]


def test_each_value_is_converted_once(optstore: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from stackyard import serialization

    flavor = Repository().get_flavor("artifact_store", "optstore")
    seen: list[object] = []
    original = serialization.structure_value

    def counting(value: object, tp: object) -> object:
        seen.append(value)
        return original(value, tp)

    monkeypatch.setattr(serialization, "structure_value", counting)
    flavor.create("opt", USER_INPUT)
    assert sorted(map(str, seen)).count("7") == 1 and seen.count('{"cpu": 2}') == 1
