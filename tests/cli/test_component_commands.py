"""``stackyard <component-type> register|list|describe|update|remove-attribute|rename|delete``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.enums import StackComponentType
from stackyard.files import read_toml

from .conftest import table_headers, table_rows

ALL_TYPES = [t.cli_name for t in StackComponentType]


def component_file(config_dir: Path, kind: str, name: str) -> Path:
    return config_dir / "profiles" / "default" / "components" / kind / f"{name}.toml"


@pytest.mark.parametrize("kind", ALL_TYPES)
def test_every_type_has_the_full_command_group(ok, kind: str) -> None:
    help_text = ok(kind, "--help").stdout
    for command in ("register", "list", "describe", "update", "remove-attribute", "rename", "delete", "flavor"):
        assert f"  {command} " in help_text
    flavor_help = ok(kind, "flavor", "--help").stdout
    for command in ("list", "describe", "register"):
        assert f"  {command} " in flavor_help
    listing = ok(kind, "list")
    if StackComponentType.parse(kind).is_required:  # the default stack has one
        assert table_headers(listing.stdout)[:4] == ["ACTIVE", "NAME", "FLAVOR", "UUID"]
    else:  # none yet: a hint instead of an empty table
        assert listing.stdout == ""
        assert f"Register one with: stackyard {kind} register NAME --flavor=FLAVOR" in listing.stderr
    ok(kind, "flavor", "list")


@pytest.mark.parametrize("component_type", list(StackComponentType))
def test_help_texts_name_the_component_type(ok, component_type: StackComponentType) -> None:
    kind, article = component_type.cli_name, component_type.with_article
    assert f"Register {article} NAME of a FLAVOR." in ok(kind, "register", "--help").stdout
    listing = " ".join(ok(kind, "--help").stdout.split())
    assert f"delete Delete {article} NAME if no stack uses it." in listing
    flavor_help = " ".join(ok(kind, "flavor", "describe", "--help").stdout.split())
    assert f"Show {article} flavor and every parameter" in flavor_help
    assert "{" not in listing + flavor_help


def test_default_components_are_listed_with_their_config(ok, config_dir: Path) -> None:
    result = ok("artifact-store", "list")
    assert "Running with active profile: 'default' (global)" in result.stderr
    assert table_headers(result.stdout) == ["ACTIVE", "NAME", "FLAVOR", "UUID", "PATH"]
    [row] = table_rows(result.stdout)
    assert row[:3] == ["👉", "default", "local"]
    assert row[4].startswith(str(config_dir / "local_stores"))


def test_register_converts_parameters_through_the_flavor_schema(ok, acme: str, config_dir: Path) -> None:
    result = ok(
        "alerter", "register", "bell", "--flavor=echo",
        "--webhook", "https://hooks.example/x",
        "--retries=5", "--ratio", "0.25", "--loud=yes",
        "--tags", '["a", "b"]', "--limits={\"burst\": 10}",
    )
    assert "Registered stack component with type 'alerter' and name 'bell'." in result.stderr
    assert result.stdout == "Alerter 'bell' successfully registered!\n"
    stored = read_toml(component_file(config_dir, "alerter", "bell"))
    assert stored["flavor"] == "echo"
    assert stored["package"] == "stackyard-acme"
    assert stored["config"] == {
        "post_on_failure": False,  # every alerter's option (issue 10)
        "webhook": "https://hooks.example/x", "channel": "general", "retries": 5, "ratio": 0.25,
        "loud": True, "tags": ["a", "b"], "limits": {"burst": 10},
    }


def test_register_names_every_bad_parameter_and_lists_the_valid_ones(fails, acme: str, config_dir: Path) -> None:
    result = fails("alerter", "register", "bell", "-f", "echo", "--retries=many", "--colour=red", "--loud=perhaps")
    message = result.stderr.splitlines()[-1]
    assert message.startswith("Error: Invalid configuration for flavor 'echo': ")
    assert "unknown parameter colour" in message
    assert "missing required parameter webhook" in message
    assert "retries: expected an integer, got 'many'" in message
    assert "loud: expected a boolean" in message
    assert "Valid parameters: post_on_failure: bool = False, webhook: str (required), channel: str = 'general', retries: int = 3" in message
    assert not component_file(config_dir, "alerter", "bell").exists()


def test_register_refuses_a_taken_name_and_a_bad_name(ok, fails) -> None:
    result = fails("artifact-store", "register", "default", "--flavor", "local", "--path", "/tmp/x")
    assert "named 'default' already exists." in result.stderr
    result = fails("artifact-store", "register", "a b", "--flavor", "local", "--path", "/tmp/x")
    assert "Invalid stack component name 'a b'" in result.stderr


def test_register_unknown_flavor_lists_the_available_ones(fails) -> None:
    result = fails("artifact-store", "register", "gcs", "--flavor", "gcs", "--path", "gs://bucket")
    message = result.stderr.splitlines()[-1]
    assert message.startswith("Error: No artifact store flavor named 'gcs'. Available: ")
    assert "local" in message.split("Available: ")[1]


def test_register_unknown_flavor_names_the_package_that_provides_it(ok, fails) -> None:
    ok("stack", "list")
    result = fails(
        "metadata-store", "register", "db", "--flavor", "sqlite", "--uri", "/tmp/db",
        env={"STACKYARD_DISABLE_PLUGINS": "local"},
    )
    assert "It is provided by the package 'stackyard-local': pip install stackyard-local." in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--path"], "The parameter '--path' needs a value"),
        (["--path", "/x", "stray"], "Unexpected argument 'stray'"),
        (["--uuid=123"], "'--uuid' cannot be set"),
        (["--path=/x", "--path=/y"], "given twice"),
    ],
)
def test_malformed_parameters_are_usage_errors(fails, args: list[str], message: str) -> None:
    result = fails("artifact-store", "register", "x", "--flavor", "local", *args, code=2)
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["x", "--flavor", "local", "--path", "/tmp/p"],
        ["x", "--path", "/tmp/p", "--flavor", "local"],  # the command's own option after a parameter
        ["x", "-flocal", "--path=/tmp/p"],
        ["x", "--flavor=local", "--", "--path", "/tmp/p"],
        ["x", "-f", "local", "--path", "-/tmp/p"],  # a value may start with a dash
    ],
)
def test_register_tells_its_own_options_from_the_flavor_parameters(ok, config_dir: Path, args: list[str]) -> None:
    ok("artifact-store", "register", *args)
    stored = read_toml(component_file(config_dir, "artifact_store", "x"))
    assert stored["flavor"] == "local"
    assert stored["config"]["path"] == ("-/tmp/p" if "-/tmp/p" in args else "/tmp/p")


def test_register_without_flavor_is_a_usage_error(fails) -> None:
    result = fails("artifact-store", "register", "x", "--path=/x", code=2)
    assert "Missing option '--flavor'" in result.stderr


def test_list_marks_the_component_of_the_active_stack(ok, acme: str) -> None:
    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "w1")
    ok("alerter", "register", "horn", "--flavor", "echo", "--webhook", "w2", "--channel", "ops")
    ok("stack", "copy", "default", "dev")
    ok("stack", "update", "dev", "-al", "horn")
    ok("stack", "set", "dev")
    result = ok("alerter", "list")
    assert table_headers(result.stdout) == [
        "ACTIVE", "NAME", "FLAVOR", "UUID", "CHANNEL", "LIMITS", "LOUD", "POST_ON_FAILURE", "RATIO", "RETRIES", "TAGS",
        "WEBHOOK",
    ]
    rows = table_rows(result.stdout)
    assert [row[:3] for row in rows] == [["", "bell", "echo"], ["👉", "horn", "echo"]]
    assert rows[1][4:] == ["ops", "{}", "false", "false", "0.5", "3", "[]", "w2"]
    data = json.loads(ok("alerter", "list", "--output", "json").stdout)
    assert [(d["name"], d["active"], d["config"]["channel"]) for d in data] == [("bell", False, "general"), ("horn", True, "ops")]


def test_a_component_whose_flavor_is_gone_still_lists_and_can_be_deleted(ok, acme: str, tmp_path: Path) -> None:
    def uninstall_acme() -> None:
        import shutil

        from stackyard.plugins import reset_registry

        shutil.rmtree(tmp_path / "site-packages" / "stackyard_acme-2.1.dist-info")
        reset_registry()

    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "w1")
    off = {"STACKYARD_DISABLE_PLUGINS": "acme"}
    rows = table_rows(ok("alerter", "list", env=off).stdout)
    assert rows[0][1:3] == [
        "bell", "echo — flavor disabled (plugin acme of stackyard-acme is off: STACKYARD_DISABLE_PLUGINS or --no-plugins)"
    ]
    uninstall_acme()
    gone: dict[str, str] = {}
    rows = table_rows(ok("alerter", "list", env=gone).stdout)
    assert rows[0][1:3] == ["bell", "echo — flavor missing (install stackyard-acme)"]
    data = json.loads(ok("alerter", "describe", "bell", "--output", "json", env=gone).stdout)
    assert data["flavor_installed"] is False
    assert data["flavor_missing"] == "flavor missing (install stackyard-acme)"
    assert data["config"]["webhook"] == "w1"
    assert ok("alerter", "delete", "bell", env=gone).stdout == "Alerter 'bell' deleted.\n"


def test_describe_defaults_to_the_component_in_the_active_stack(ok, fails) -> None:
    result = ok("metadata-store", "describe")
    assert "Metadata store 'default' (ACTIVE)" in result.stdout
    rows = dict(tuple(row) for row in table_rows(result.stdout))
    assert rows["FLAVOR"] == "sqlite"
    assert rows["PACKAGE"] == "stackyard-local"
    assert rows["STACKS"] == "default"
    assert rows["URI"].endswith("metadata.db")
    result = fails("alerter", "describe")
    assert "Error: The active stack has no alerter; name one: stackyard alerter describe NAME." in result.stderr


def test_describe_unknown_suggests_a_close_match(fails) -> None:
    result = fails("orchestrator", "describe", "defualt")
    assert "Error: No orchestrator named 'defualt'. Did you mean 'default'?" in result.stderr


def test_describe_as_yaml(ok) -> None:
    yaml = ok("orchestrator", "describe", "default", "--output", "yaml").stdout
    assert "name: default\n" in yaml
    assert "flavor: local\n" in yaml
    assert "stacks:\n- default\n" in yaml


def test_update_converts_and_validates(ok, fails, acme: str, config_dir: Path) -> None:
    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "w1")
    assert ok("alerter", "update", "bell", "--retries", "7", "--tags=[\"x\"]").stdout == "Alerter 'bell' successfully updated!\n"
    config = read_toml(component_file(config_dir, "alerter", "bell"))["config"]
    assert (config["retries"], config["tags"]) == (7, ["x"])
    result = fails("alerter", "update", "bell", "--retries", "7.5")
    assert "retries: expected an integer, got '7.5'" in result.stderr
    assert read_toml(component_file(config_dir, "alerter", "bell"))["config"] == config
    assert "Give at least one parameter" in fails("alerter", "update", "bell", code=2).stderr
    assert "Error: No alerter named 'nope'." in fails("alerter", "update", "nope", "--retries=1").stderr


def test_remove_attribute_restores_the_default(ok, fails, acme: str, config_dir: Path) -> None:
    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "w1", "--channel", "ops", "--retries", "9")
    result = ok("alerter", "remove-attribute", "bell", "channel", "retries")
    assert result.stdout == "Removed from alerter 'bell': now channel=general, retries=3 (the defaults).\n"
    config = read_toml(component_file(config_dir, "alerter", "bell"))["config"]
    assert (config["channel"], config["retries"]) == ("general", 3)
    result = fails("alerter", "remove-attribute", "bell", "webhook")
    assert "webhook is required and cannot be removed" in result.stderr
    result = fails("alerter", "remove-attribute", "bell", "colour")
    assert "unknown parameter colour" in result.stderr
    assert "Missing argument 'KEYS...'" in fails("alerter", "remove-attribute", "bell", code=2).stderr


def test_rename_updates_the_stacks_that_use_it(ok, fails, config_dir: Path) -> None:
    assert ok("orchestrator", "rename", "default", "local").stdout == "Orchestrator 'default' renamed to 'local'.\n"
    stack = json.loads(ok("stack", "describe", "default", "--output", "json").stdout)
    assert stack["components"]["orchestrator"]["name"] == "local"
    ok("orchestrator", "register", "other", "--flavor", "local")
    result = fails("orchestrator", "rename", "other", "local")
    assert "Error: An orchestrator named 'local' already exists." in result.stderr


def test_delete_refuses_a_component_in_use(ok, fails, config_dir: Path) -> None:
    result = fails("artifact-store", "delete", "default")
    assert "Error: The artifact store 'default' is used by stack 'default'; remove it from that stack first." in result.stderr
    assert component_file(config_dir, "artifact_store", "default").exists()
    ok("stack", "copy", "default", "twin")
    result = fails("artifact-store", "delete", "default")
    assert (
        "Error: The artifact store 'default' is used by stacks 'default', 'twin'; remove it from those stacks first."
        in result.stderr
    )
    ok("artifact-store", "register", "spare", "--flavor", "local", "--path", "/tmp/spare")
    result = ok("artifact-store", "delete", "spare")
    assert "Deregistered stack component with type 'artifact_store' and name 'spare'." in result.stderr
    assert result.stdout == "Artifact store 'spare' deleted.\n"
    assert "Error: No artifact store named 'spare'." in fails("artifact-store", "delete", "spare").stderr


def test_a_none_default_reads_none_in_tables_and_null_in_json(ok) -> None:
    """One form for None in what people read (as in the TYPE column), JSON's own null for scripts."""
    rows = {row[0]: row for row in table_rows(ok("step-operator", "flavor", "describe", "local").stdout)}
    assert rows["memory_limit"][1:4] == ["str | None", "None", "no"]
    data = json.loads(ok("step-operator", "flavor", "describe", "local", "--output", "json").stdout)
    assert {p["name"]: p["default"] for p in data["parameters"]}["memory_limit"] is None
    ok("step-operator", "register", "sub", "--flavor", "local", "--memory_limit=1G")
    result = ok("step-operator", "remove-attribute", "sub", "memory_limit")
    assert result.stdout == "Removed from step operator 'sub': now memory_limit=None (the defaults).\n"
