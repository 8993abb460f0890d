"""Generated names and parameter values never crash Stackyard nor change what is stored when refused.

Hypothesis makes up profile, stack and component names and parameter values
(text with surrogates from undecodable bytes and control characters, numbers
too large for TOML, JSON with nulls or nested hundreds deep, empty text) and
sends them through the CLI (in-process) and the Python API. Whatever comes
in: no traceback, no "Unexpected" error; a refusal exits 1 (2 for usage)
with one ``Error:`` line and leaves every stored file byte-identical; what is
accepted is stored and reads back the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackyard_cli.main import cli

def _benchmark_flavor() -> str:
    """The flavor ``benchmarks/reliability_input.py`` uses: the benchmark runs these cases at large counts."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability_input.py"
    spec = importlib.util.spec_from_file_location("reliability_input_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.FLAVOR)


PLUGIN = _benchmark_flavor()

PARAMETERS = ("webhook", "channel", "retries", "ratio", "loud", "tags", "limits", "extra", "note")

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure here is reproducible
)

# -- strategies ----------------------------------------------------------------

_odd_chars = st.one_of(
    st.characters(),
    st.integers(0xDC80, 0xDCFF).map(chr),  # what undecodable argv bytes become (surrogateescape)
    st.integers(0, 0x1F).map(chr),  # control characters
    st.sampled_from(["\x7f", "\u2028", "\ufeff", "/", "..", "=", "-", " "]),
)
odd_text = st.lists(_odd_chars, max_size=30).map("".join)
huge_int_text = st.integers(min_value=-(10**40), max_value=10**40).map(str)
deep_json = st.integers(1, 400).map(lambda n: "[" * n + "]" * n)
deep_object = st.integers(1, 200).map(lambda n: '{"a": ' * n + "1" + "}" * n)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10**25), 10**25), st.floats(), odd_text)
json_like = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3), max_leaves=8)


def _to_json(value: Any) -> str:
    import json

    return json.dumps(value)


text_values = st.one_of(
    odd_text,
    huge_int_text,
    deep_json,
    deep_object,
    json_like.map(_to_json),
    st.sampled_from(["", " ", "\t", "nan", "inf", "-inf", "1e400", "null", "none", "[1, null]", '{"a": null}', "x" * 500]),
    st.sampled_from([str(10**30), str(2**63), str(-(2**63) - 1), "9" * 5000, "[" * 5000 + "]" * 5000]),
)
names = st.one_of(odd_text, st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True), st.just("x" * 300))


# -- helpers ---------------------------------------------------------------------


def stored(config: Path) -> dict[str, bytes]:
    """Every file under the config dir but the plugin discovery cache, with its content."""
    return {
        p.relative_to(config).as_posix(): p.read_bytes()
        for p in sorted(config.rglob("*"))
        if p.is_file() and "cache" not in p.relative_to(config).parts
    }


@pytest.fixture
def echo(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-echo", "stackyard_echo_plugin", PLUGIN, entry_point="echo")


@pytest.fixture
def stackyard(config_dir: Path, echo: None) -> Callable[..., Any]:
    """Run the CLI in-process; check it never crashes, and that a refusal changes no stored file."""
    runner = CliRunner()
    assert runner.invoke(cli, ["stack", "list"]).exit_code == 0  # the default profile exists

    def invoke(*args: str) -> Any:
        before = stored(config_dir)
        result = runner.invoke(cli, list(args), prog_name="stackyard")
        output = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in output and "Unexpected" not in output, output
        assert result.exit_code in (0, 1, 2), output
        if result.exit_code:
            assert stored(config_dir) == before, f"stackyard {args!r} was refused but changed the store"
        if result.exit_code == 1:
            assert len([line for line in result.stderr.splitlines() if line.startswith("Error: ")]) == 1, output
        return result

    return invoke


# -- through the CLI ----------------------------------------------------------------


@FAST
@given(parameter=st.sampled_from(PARAMETERS), value=text_values)
def test_generated_parameter_values_through_the_cli(stackyard: Callable[..., Any], parameter: str, value: str) -> None:
    values = {"webhook": "https://hooks.example", parameter: value}
    args = [f"--{key}={text}" for key, text in values.items()]
    result = stackyard("alerter", "register", "probe", "--flavor=echo", *args)
    if result.exit_code == 0:
        described = stackyard("alerter", "describe", "probe")
        assert described.exit_code == 0
        assert stackyard("alerter", "delete", "probe").exit_code == 0
    else:
        assert parameter in result.stderr, result.stderr  # the refusal names the parameter
        assert len(max(result.stderr.splitlines(), key=len)) < 1200  # long values are shortened


@FAST
@given(key=odd_text)
def test_generated_parameter_names_through_the_cli(stackyard: Callable[..., Any], key: str) -> None:
    result = stackyard("alerter", "register", "probe", "--flavor=echo", "--webhook=w", f"--{key}=1")
    if result.exit_code == 0:
        assert stackyard("alerter", "delete", "probe").exit_code == 0
    else:
        assert len(max(result.stderr.splitlines(), key=len)) < 1200


@FAST
@given(kind=st.sampled_from(["profile", "stack", "component"]), name=names)
def test_generated_names_through_the_cli(stackyard: Callable[..., Any], kind: str, name: str) -> None:
    if kind == "profile":
        result = stackyard("profile", "create", name)
        cleanup = ("profile", "delete", name)
    elif kind == "stack":
        result = stackyard("stack", "register", name, "-o", "default", "-a", "default", "-m", "default")
        cleanup = ("stack", "delete", name, "--yes")
    else:
        result = stackyard("alerter", "register", name, "--flavor=echo", "--webhook=w")
        cleanup = ("alerter", "delete", name)
    if result.exit_code == 0:
        assert stackyard(*cleanup).exit_code in (0, 1)


@FAST
@given(value=text_values)
def test_generated_runtime_options_are_refused_before_a_run(stackyard: Callable[..., Any], value: str) -> None:
    from stackyard import Repository
    from stackyard.exceptions import RuntimeOptionError
    from stackyard.pipelines.runtime import convert_options

    stack = Repository().active_stack
    try:
        converted = convert_options(stack, {"max_workers": value, "run_name": "r"})
    except RuntimeOptionError as exc:
        assert "max_workers" in str(exc) and "Traceback" not in str(exc)
    else:
        assert isinstance(converted["max_workers"], int) and -(2**63) <= converted["max_workers"] < 2**63


# -- through the Python API ------------------------------------------------------------


python_values = st.one_of(
    json_like,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.integers(1, 3000).map(lambda n: _nested(n)),
)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@FAST
@given(parameter=st.sampled_from(PARAMETERS), value=python_values, name=names)
def test_generated_values_and_names_through_the_api(config_dir: Path, echo: None, parameter: str, value: Any, name: str) -> None:
    from stackyard import Repository
    from stackyard.enums import StackComponentType
    from stackyard.exceptions import StackyardError

    repo = Repository()
    repo.active_stack_name  # noqa: B018 - the default profile exists before the first snapshot
    before = stored(config_dir)
    flavor = repo.get_flavor(StackComponentType.ALERTER, "echo")
    try:
        component = flavor.create(name, {"webhook": "w", parameter: value})
        repo.register_stack_component(component)
    except StackyardError as exc:
        assert stored(config_dir) == before, f"refused ({exc}) but the store changed"
        assert len(str(exc)) < 2000
        return
    read = repo.get_stack_component(StackComponentType.ALERTER, name)
    assert read.config == component.config
    if isinstance(value, float) and math.isinf(value) and parameter == "ratio":
        assert read.config["ratio"] == value
    repo.deregister_stack_component(StackComponentType.ALERTER, name)


# -- the cases of the issue, one by one ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("artifact-store", "register", "a", "--flavor=local", "--path="), "path: must not be empty"),
        (("artifact-store", "register", "a", "--flavor=local", "--path=  "), "path: must not be empty"),
        (("metadata-store", "register", "m", "--flavor=sqlite", "--uri="), "uri: must not be empty"),
        (("artifact-store", "register", "a", "--flavor=local", "--path=\udcff"), "path: '\\udcff' is not valid text"),
        (("alerter", "register", "e", "--flavor=echo", "--webhook=w", '--limits={"a": [1, null]}'), "limits: null is not allowed (TOML has no null) (at ['a'][1])"),
        (("alerter", "register", "e", "--flavor=echo", "--webhook=w", '--extra={"a": null}'), "extra: null is not allowed (TOML has no null) (at ['a'])"),
        (("alerter", "register", "e", "--flavor=echo", "--webhook=w", "--tags=" + "[" * 500 + "]" * 500), "tags: nested deeper than 64 levels"),
        (("orchestrator", "register", "o", "--flavor=local", f"--max_workers={10**30}"), "max_workers: 1000000000000000000000000000000 is too large: integers must fit in 64 bits"),
        (("orchestrator", "register", "o", "--flavor=local", "--max_workers=5000"), "max_workers: 5000 worker processes is more than"),
        (("alerter", "register", "e", "--flavor=echo", "--webhook=w", "--ratio=nan"), "ratio: nan is not allowed"),
        (("alerter", "register", "e", "--flavor=echo", "--webhook=w", "--retries=" + "7" * 200), "retries: " + "7" * 59 + "…"),
    ],
)
def test_each_bad_value_of_the_issue_is_refused_naming_the_parameter(stackyard: Callable[..., Any], args: tuple[str, ...], message: str) -> None:
    result = stackyard(*args)
    assert result.exit_code == 1
    error = next(line for line in result.stderr.splitlines() if line.startswith("Error: "))
    assert message in error
    assert "7" * 100 not in error  # long values are shortened


def test_empty_text_is_allowed_where_a_flavor_says_so(stackyard: Callable[..., Any], make_plugin: Callable[..., Path]) -> None:
    make_plugin(
        "stackyard-blank",
        "stackyard_blank_plugin",
        """
        from typing import ClassVar

        import attrs

        from stackyard import hookimpl
        from stackyard.alerters import BaseAlerter


        class BlankAlerter(BaseAlerter):
            FLAVOR: ClassVar[str] = "blank"
            prefix: str = attrs.field(metadata={"allow_empty": True})
            topic: str

            def post(self, message):
                return True

            def ask(self, question):
                return True


        @hookimpl
        def stackyard_alerter_flavors():
            return [BlankAlerter]
        """,
    )
    assert "topic: must not be empty" in stackyard("alerter", "register", "b", "--flavor=blank", "--prefix=", "--topic=").stderr
    assert stackyard("alerter", "register", "b", "--flavor=blank", "--prefix=", "--topic=t").exit_code == 0


def test_a_runtime_option_too_large_is_refused_before_a_run_is_recorded(stackyard: Callable[..., Any], isolated: Path) -> None:
    (isolated / "tiny.py").write_text(
        "from stackyard import pipeline, step\n\n@step\ndef one() -> int:\n    return 1\n\n@pipeline\ndef p():\n    one()\n"
    )
    result = stackyard("pipeline", "run", "tiny.py:p", "--option", f"max_workers={10**30}")
    assert result.exit_code == 1
    assert "max_workers: 1000000000000000000000000000000 is too large" in result.stderr
    assert stackyard("pipeline", "runs", "--output", "json").stdout.strip() == "[]"
