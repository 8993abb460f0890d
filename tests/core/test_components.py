"""The plain-style component model: fields, conversion, validation, serialization."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import ClassVar, Optional
from uuid import UUID

import attrs
import pytest

from stackyard.records import ComponentRecord

from stackyard.alerters import BaseAlerter
from stackyard.artifact_stores import BaseArtifactStore
from stackyard.container_registries import BaseContainerRegistry
from stackyard.enums import StackComponentType
from stackyard.exceptions import ComponentConfigError, InvalidFlavorError, InvalidNameError
from stackyard.experiment_trackers import BaseExperimentTracker
from stackyard.feature_stores import BaseFeatureStore
from stackyard.files import read_toml, write_toml
from stackyard.metadata_stores import BaseMetadataStore
from stackyard.model_deployers import BaseModelDeployer
from stackyard.orchestrators import BaseOrchestrator
from stackyard.secrets_managers import BaseSecretsManager
from stackyard.stack import StackComponent
from stackyard.stack.stack_component import parameters
from stackyard.step_operators import BaseStepOperator


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Printer(BaseAlerter):
    """Prints alerts."""

    FLAVOR: ClassVar[str] = "printer"

    channel: str
    retries: int = 3
    timeout: float = 1.5
    verbose: bool = False
    color: Color = Color.RED
    tags: list[str] = []
    headers: dict[str, int] = {}
    target: Optional[Path] = None
    _sent: list = []

    def post(self, message: str) -> bool:
        self._sent.append(message)
        return True

    def ask(self, question: str) -> bool:
        return False


def test_enum_has_the_ten_types_and_three_are_required() -> None:
    assert [t.value for t in StackComponentType] == [
        "orchestrator",
        "artifact_store",
        "metadata_store",
        "container_registry",
        "secrets_manager",
        "step_operator",
        "model_deployer",
        "feature_store",
        "experiment_tracker",
        "alerter",
    ]
    assert [t.value for t in StackComponentType if t.is_required] == [
        "orchestrator",
        "artifact_store",
        "metadata_store",
    ]
    assert StackComponentType.parse("artifact-store") is StackComponentType.ARTIFACT_STORE
    assert StackComponentType.CONTAINER_REGISTRY.plural == "container_registries"
    with pytest.raises(ValueError, match="valid types: orchestrator, artifact-store"):
        StackComponentType.parse("nope")


@pytest.mark.parametrize(
    ("base", "component_type"),
    [
        (BaseOrchestrator, StackComponentType.ORCHESTRATOR),
        (BaseArtifactStore, StackComponentType.ARTIFACT_STORE),
        (BaseMetadataStore, StackComponentType.METADATA_STORE),
        (BaseContainerRegistry, StackComponentType.CONTAINER_REGISTRY),
        (BaseSecretsManager, StackComponentType.SECRETS_MANAGER),
        (BaseStepOperator, StackComponentType.STEP_OPERATOR),
        (BaseModelDeployer, StackComponentType.MODEL_DEPLOYER),
        (BaseFeatureStore, StackComponentType.FEATURE_STORE),
        (BaseExperimentTracker, StackComponentType.EXPERIMENT_TRACKER),
        (BaseAlerter, StackComponentType.ALERTER),
    ],
)
def test_each_type_has_an_abstract_base(base: type, component_type: StackComponentType) -> None:
    assert base.TYPE is component_type
    assert issubclass(base, StackComponent)
    assert base.__abstractmethods__, "each base declares what its type must do"
    with pytest.raises(TypeError, match="abstract"):
        base(name="x")


def test_plain_style_class_becomes_a_keyword_only_attrs_class() -> None:
    assert attrs.has(Printer)
    printer = Printer(name="p", channel="#ml")
    assert isinstance(printer.uuid, UUID)
    assert printer.type is StackComponentType.ALERTER and printer.flavor == "printer"
    with pytest.raises(TypeError):
        Printer("p", "#ml")  # type: ignore[misc]


def test_values_are_converted_to_the_annotated_types() -> None:
    printer = Printer(name="p", channel="#ml", retries="5", timeout="2", verbose="yes", color="blue", target="/tmp/x")
    assert printer.retries == 5
    assert printer.timeout == 2.0
    assert printer.verbose is True
    assert printer.color is Color.BLUE
    assert printer.target == Path("/tmp/x")
    printer.retries = "7"  # assignment converts too
    assert printer.retries == 7
    with pytest.raises(ValueError, match="retries: expected an integer, got 'many'"):
        Printer(name="p", channel="#ml", retries="many")


def test_mutable_defaults_are_not_shared() -> None:
    first = Printer(name="a", channel="c")
    second = Printer(name="b", channel="c")
    first.tags.append("x")
    first.post("hello")
    assert second.tags == []
    assert second._sent == []


def test_underscore_fields_are_runtime_state_not_parameters() -> None:
    printer = Printer(name="p", channel="c")
    printer.post("hi")
    assert "_sent" not in printer.config
    assert "_sent" not in parameters(Printer)
    assert "sent" not in parameters(Printer)
    with pytest.raises(TypeError):
        Printer(name="p", channel="c", _sent=[])  # type: ignore[call-arg]


def test_parameters_describe_type_default_and_required() -> None:
    params = parameters(Printer)
    assert list(params) == ["post_on_failure", "channel", "retries", "timeout", "verbose", "color", "tags", "headers", "target"]
    assert params["channel"].required and params["channel"].describe() == "channel: str (required)"
    assert params["retries"].describe() == "retries: int = 3"
    assert params["tags"].default == []
    assert not params["target"].required


def test_concrete_flavor_without_flavor_is_an_error_at_definition() -> None:
    with pytest.raises(InvalidFlavorError, match="without a FLAVOR"):

        class NoFlavor(BaseAlerter):
            def post(self, message: str) -> bool:
                return True

            def ask(self, question: str) -> bool:
                return True


def test_concrete_component_without_type_is_an_error_at_definition() -> None:
    with pytest.raises(InvalidFlavorError, match="without a TYPE"):

        class NoType(StackComponent):
            FLAVOR: ClassVar[str] = "x"


def test_abstract_intermediate_classes_need_no_flavor() -> None:
    class HalfDone(BaseAlerter):
        def post(self, message: str) -> bool:
            return True

    assert HalfDone.__abstractmethods__ == {"ask"}


def test_reserved_parameter_names_are_refused() -> None:
    with pytest.raises(InvalidFlavorError, match="'type', which is reserved"):

        class Clash(Printer):
            FLAVOR: ClassVar[str] = "clash"
            type: str = "x"


def test_invalid_component_names_are_refused() -> None:
    for bad in ["", "a/b", ".hidden", "with space", "x" * 101, "..", "-dash", "trailing."]:
        with pytest.raises(InvalidNameError):
            Printer(name=bad, channel="c")


def test_round_trip_through_dict_and_toml(tmp_path: Path) -> None:
    printer = Printer(
        name="p", channel="#ml", retries=4, verbose=True, color=Color.BLUE, tags=["a"], headers={"x": 1}, target=Path("/t")
    )
    data = ComponentRecord.of(printer).to_dict()
    assert data == {
        "name": "p",
        "uuid": str(printer.uuid),
        "type": "alerter",
        "flavor": "printer",
        "config": {
            "post_on_failure": False,
            "channel": "#ml",
            "retries": 4,
            "timeout": 1.5,
            "verbose": True,
            "color": "blue",
            "tags": ["a"],
            "headers": {"x": 1},
            "target": "/t",
        },
    }
    assert Printer.from_record(ComponentRecord.from_dict(data)) == printer
    write_toml(tmp_path / "p.toml", data)
    loaded = read_toml(tmp_path / "p.toml")
    loaded.pop("schema_version")
    assert Printer.from_record(ComponentRecord.from_dict(loaded)) == printer


def test_none_values_are_omitted_in_toml_and_come_back_as_defaults(tmp_path: Path) -> None:
    printer = Printer(name="p", channel="c")
    write_toml(tmp_path / "p.toml", ComponentRecord.of(printer).to_dict())
    assert "target" not in (tmp_path / "p.toml").read_text()
    assert Printer.from_record(ComponentRecord.from_dict(read_toml(tmp_path / "p.toml"))).target is None


def test_from_config_converts_cli_strings() -> None:
    printer = Printer.from_config(
        "p",
        {
            "channel": "#ml",
            "retries": "9",
            "timeout": "0.25",
            "verbose": "false",
            "color": "red",
            "tags": '["x", "y"]',
            "headers": '{"a": 2}',
            "target": "none",
        },
    )
    assert (printer.retries, printer.timeout, printer.verbose) == (9, 0.25, False)
    assert printer.tags == ["x", "y"] and printer.headers == {"a": 2}
    assert printer.target is None


def test_from_config_reports_every_problem_at_once() -> None:
    with pytest.raises(ComponentConfigError) as info:
        Printer.from_config("p", {"retries": "x", "timeout": "fast", "tags": "[1", "colour": "red"})
    error = info.value
    assert error.problems == [
        "unknown parameter colour",
        "missing required parameter channel",
        "retries: expected an integer, got 'x'",
        "timeout: expected a number, got 'fast'",
        "tags: expected a list as JSON text, got '[1'",
    ]
    assert "channel: str (required)" in error.valid_parameters
    assert "Valid parameters: post_on_failure: bool = False, channel: str (required), retries: int = 3" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("retries", "3.5", "expected an integer"),
        ("retries", True, "expected an integer"),
        ("verbose", "maybe", "expected a boolean"),
        ("color", "green", "expected one of 'red', 'blue'"),
        ("headers", "[1, 2]", "expected an object"),
        ("tags", '{"a": 1}', "expected a list"),
        ("channel", 5, "expected a string"),
    ],
)
def test_ill_typed_values_are_named(key: str, value: object, reason: str) -> None:
    config = {"channel": "c", key: value}
    with pytest.raises(ComponentConfigError, match=f"{key}: {reason}"):
        Printer.from_config("p", config)


def test_from_record_refuses_another_flavor() -> None:
    record = ComponentRecord.of(Printer(name="p", channel="c"))
    record.flavor = "other"
    with pytest.raises(ComponentConfigError, match="flavor is 'other'"):
        Printer.from_record(record)


def test_lifecycle_methods_default_to_no_ops() -> None:
    printer = Printer(name="p", channel="c")
    assert printer.prepare_pipeline_deployment(None, None, {"x": 1}) is None  # type: ignore[arg-type]
    from stackyard.pipelines.hooks import Outcome, PipelineRunInfo, StepRunInfo
    from stackyard.pipelines.status import ExecutionStatus

    run, step, outcome = PipelineRunInfo("p", "r", "1"), StepRunInfo("p", "r", "1", "s"), Outcome(ExecutionStatus.COMPLETED)
    assert printer.prepare_pipeline_run(run) is None
    assert printer.prepare_step_run(step) is None
    assert printer.cleanup_step_run(step, outcome) is None
    assert printer.cleanup_pipeline_run(run, outcome) is None
    assert printer.validate_stack(None) == []  # type: ignore[arg-type]


def test_artifact_store_checks_supported_schemes() -> None:
    from stackyard_local import LocalArtifactStore

    assert LocalArtifactStore(name="a", path="/data").path == "/data"
    with pytest.raises(ValueError, match="'s3://bucket' is not supported by the local artifact store"):
        LocalArtifactStore(name="a", path="s3://bucket")


def test_future_annotations_in_a_flavor_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "future_flavor.py").write_text(
        "from __future__ import annotations\n"
        "from typing import ClassVar\n"
        "from stackyard.alerters import BaseAlerter\n"
        "class Later(BaseAlerter):\n"
        "    FLAVOR: ClassVar[str] = 'later'\n"
        "    limit: Limit = 3\n"
        "    def post(self, message: str) -> bool: return True\n"
        "    def ask(self, question: str) -> bool: return True\n"
        "Limit = int\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import future_flavor

    assert future_flavor.Later(name="l", limit="4").limit == 4


def test_one_unresolvable_annotation_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "typed_only.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING, ClassVar\n"
        "from stackyard.alerters import BaseAlerter\n"
        "if TYPE_CHECKING:\n"
        "    from somewhere import Client\n"
        "class Typed(BaseAlerter):\n"
        "    FLAVOR: ClassVar[str] = 'typed'\n"
        "    retries: int = 1\n"
        "    _client: Client | None = None\n"
        "    def post(self, message: str) -> bool: return True\n"
        "    def ask(self, question: str) -> bool: return True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import typed_only

    assert typed_only.Typed.from_config("t", {"retries": "7"}).retries == 7


def test_parameter_docs_come_from_the_string_under_a_field() -> None:
    class Documented(Printer):
        FLAVOR: ClassVar[str] = "documented"

        volume: int = 3
        """How loud, from 1 to 11."""

        pitch: float = attrs.field(default=1.0, metadata={"doc": "Pitch factor."})

    params = parameters(Documented)
    assert params["volume"].doc == "How loud, from 1 to 11."
    assert params["pitch"].doc == "Pitch factor."
    assert params["channel"].doc == ""


def test_enum_defaults_are_described_as_they_are_typed() -> None:
    assert parameters(Printer)["color"].describe() == "color: Color = 'red'"
