"""``stackyard stack register|list|describe|set|get|update|remove-component|rename|copy|delete|export|import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.files import read_toml

from .conftest import table, table_headers, table_rows


@pytest.fixture
def alerter(ok, acme: str) -> str:
    ok("alerter", "register", "bell", "--flavor", "echo", "--webhook", "https://hooks.example/x")
    ok("container-registry", "register", "hub", "--flavor=plain", "--uri=localhost:5000")
    return "bell"


def stack_files(config_dir: Path) -> dict[str, dict]:
    folder = config_dir / "profiles" / "default" / "stacks"
    return {p.stem: read_toml(p) for p in sorted(folder.glob("*.toml"))}


def test_register_with_optional_components_and_set(ok, alerter: str) -> None:
    result = ok("stack", "register", "dev", "-o", "default", "-a", "default", "-m", "default", "-al", "bell", "-c", "hub", "--set")
    assert result.stdout == "Stack 'dev' successfully registered!\nActive stack set to: 'dev'\n"
    listing = ok("stack", "list").stdout
    assert table_headers(listing) == [
        "ACTIVE", "STACK NAME", "ALERTER", "ARTIFACT_STORE", "CONTAINER_REGISTRY", "METADATA_STORE", "ORCHESTRATOR",
    ]
    assert table_rows(listing) == [
        ["", "default", "", "default", "", "default", "default"],
        ["👉", "dev", "bell", "default", "hub", "default", "default"],
    ]


def test_register_long_option_names(ok, alerter: str) -> None:
    ok("stack", "register", "dev", "--orchestrator", "default", "--artifact-store", "default",
       "--metadata-store", "default", "--alerter", "bell", "--container-registry", "hub")
    data = json.loads(ok("stack", "describe", "dev", "--output", "json").stdout)
    assert data["components"]["alerter"] == {"name": "bell", "flavor": "echo"}


def test_register_needs_the_three_required_components(fails, config_dir: Path) -> None:
    result = fails("stack", "register", "dev", "-o", "default", "-a", "default", code=2)
    assert "Missing option '--metadata-store'" in result.stderr
    assert "dev" not in stack_files(config_dir)


def test_register_refuses_unknown_components_and_names(ok, fails, config_dir: Path) -> None:
    ok("stack", "list")
    before = stack_files(config_dir)
    result = fails("stack", "register", "dev", "-o", "default", "-a", "defualt", "-m", "default")
    assert "Error: No artifact store named 'defualt'. Did you mean 'default'?" in result.stderr
    result = fails("stack", "register", "default", "-o", "default", "-a", "default", "-m", "default")
    assert "Error: A stack named 'default' already exists." in result.stderr
    result = fails("stack", "register", "a/b", "-o", "default", "-a", "default", "-m", "default")
    assert "Invalid stack name 'a/b'" in result.stderr
    assert stack_files(config_dir) == before


def test_list_json_and_yaml(ok, alerter: str) -> None:
    ok("stack", "copy", "default", "dev")
    ok("stack", "update", "dev", "-al", "bell")
    data = json.loads(ok("stack", "list", "--output", "json").stdout)
    assert data == [
        {"name": "default", "active": True, "components": {
            "artifact_store": "default", "metadata_store": "default", "orchestrator": "default"}},
        {"name": "dev", "active": False, "components": {
            "alerter": "bell", "artifact_store": "default", "metadata_store": "default", "orchestrator": "default"}},
    ]
    yaml = ok("stack", "list", "--output", "yaml").stdout
    assert yaml.startswith("- name: default\n  active: true\n  components:\n    artifact_store: default\n")


def test_describe_defaults_to_the_active_stack(ok) -> None:
    result = ok("stack", "describe")
    assert "Stack 'default' (ACTIVE)" in result.stdout
    assert table(result.stdout).splitlines()[1] == "┃ COMPONENT_TYPE │ COMPONENT_NAME │ FLAVOR ┃"
    assert table_rows(result.stdout) == [
        ["ARTIFACT_STORE", "default", "local"],
        ["METADATA_STORE", "default", "sqlite"],
        ["ORCHESTRATOR", "default", "local"],
    ]


def test_describe_unknown_suggests(ok, fails) -> None:
    ok("stack", "copy", "default", "production")
    result = fails("stack", "describe", "prodution")
    assert "Error: No stack named 'prodution'. Did you mean 'production'?" in result.stderr


def test_get_and_set(ok, fails) -> None:
    assert ok("stack", "get").stdout == "Active stack: 'default'\n"
    ok("stack", "copy", "default", "dev")
    assert ok("stack", "set", "dev").stdout == "Active stack set to: 'dev'\n"
    assert ok("stack", "get").stdout == "Active stack: 'dev'\n"
    assert ok("stack", "get", env={"STACKYARD_STACK": "default"}).stdout == "Active stack: 'default'\n"
    result = fails("stack", "set", "nope")
    assert "Error: No stack named 'nope'." in result.stderr
    assert ok("stack", "get").stdout == "Active stack: 'dev'\n"


def test_set_global_inside_a_repository(ok, isolated: Path, config_dir: Path) -> None:
    ok("stack", "copy", "default", "dev")
    ok("init")
    result = ok("stack", "set", "dev", "--global")
    assert result.stdout == "Global active stack set to: 'dev'\n"
    assert read_toml(config_dir / "profiles" / "default.toml")["active_stack_name"] == "dev"
    assert read_toml(isolated / ".stackyard" / "config.toml")["active_stack_name"] == "default"


def test_set_warns_when_the_environment_overrides_it(ok) -> None:
    ok("stack", "copy", "default", "dev")
    result = ok("stack", "set", "dev", env={"STACKYARD_STACK": "default"})
    assert "STACKYARD_STACK=default overrides this setting" in result.stderr


def test_update_replaces_and_adds_components(ok, fails, alerter: str, config_dir: Path) -> None:
    ok("artifact-store", "register", "other", "--flavor", "local", "--path", "/tmp/other")
    ok("stack", "copy", "default", "dev")
    assert ok("stack", "update", "dev", "-a", "other", "-al", "bell").stdout == "Stack 'dev' successfully updated!\n"
    assert stack_files(config_dir)["dev"]["components"] == {
        "orchestrator": "default", "artifact_store": "other", "metadata_store": "default", "alerter": "bell",
    }
    before = stack_files(config_dir)
    result = fails("stack", "update", "dev", "-al", "nope")
    assert "Error: No alerter named 'nope'." in result.stderr
    assert fails("stack", "update", "dev", code=2).stderr.count("Name at least one component") == 1
    assert stack_files(config_dir) == before


def test_remove_component(ok, fails, alerter: str, config_dir: Path) -> None:
    ok("stack", "register", "dev", "-o", "default", "-a", "default", "-m", "default", "-al", "bell", "-c", "hub")
    result = ok("stack", "remove-component", "dev", "-al", "-c")
    assert result.stdout == "Removed the container registry 'hub', alerter 'bell' from stack 'dev'.\n"
    assert set(stack_files(config_dir)["dev"]["components"]) == {"orchestrator", "artifact_store", "metadata_store"}
    result = fails("stack", "remove-component", "dev", "-al")
    assert "Error: Stack 'dev' has no alerter; nothing was removed." in result.stderr
    result = fails("stack", "remove-component", "dev", "-o", code=2)
    assert "cannot be without its orchestrator" in result.stderr
    result = fails("stack", "remove-component", "dev", code=2)
    assert "Name at least one component type" in result.stderr


def test_rename_keeps_it_active(ok, fails, config_dir: Path) -> None:
    ok("stack", "copy", "default", "dev")
    ok("stack", "set", "dev")
    assert ok("stack", "rename", "dev", "staging").stdout == "Stack 'dev' renamed to 'staging'.\n"
    assert ok("stack", "get").stdout == "Active stack: 'staging'\n"
    result = fails("stack", "rename", "staging", "default")
    assert "Error: A stack named 'default' already exists." in result.stderr
    assert set(stack_files(config_dir)) == {"default", "staging"}


def test_copy(ok, fails) -> None:
    assert ok("stack", "copy", "default", "dev").stdout == "Stack 'default' copied to 'dev'.\n"
    rows = table_rows(ok("stack", "list").stdout)
    assert rows[1] == ["", "dev", "default", "default", "default"]
    assert "Error: A stack named 'dev' already exists." in fails("stack", "copy", "default", "dev").stderr
    assert "Error: No stack named 'nope'." in fails("stack", "copy", "nope", "x").stderr


def test_delete_asks_first(ok, run, config_dir: Path) -> None:
    ok("stack", "copy", "default", "dev")
    result = run("stack", "delete", "dev", input="n\n")
    assert result.exit_code == 1
    assert "Delete stack 'dev'? [y/N]: n" in result.output
    assert "Aborted!" in result.output
    assert "dev" in stack_files(config_dir)
    result = ok("stack", "delete", "dev", input="y\n")
    assert result.output.endswith("Deregistered stack with name 'dev'.\nStack 'dev' deleted.\n")
    assert "dev" not in stack_files(config_dir)


def test_delete_refuses_the_active_stack(ok, fails, config_dir: Path) -> None:
    ok("stack", "list")
    result = fails("stack", "delete", "default", "--yes")
    assert "Error: Stack 'default' is active globally in profile 'default' and cannot be deleted; activate another one (stackyard stack set OTHER)." in result.stderr
    assert "default" in stack_files(config_dir)
    result = fails("stack", "delete", "nope", "--yes")
    assert "Error: No stack named 'nope'." in result.stderr
    result = fails("stack", "delete", "default")  # refused before any question is asked
    assert "Delete stack" not in result.output
    assert "and cannot be deleted" in result.stderr


def test_export_to_stdout_and_file(ok, alerter: str, tmp_path: Path) -> None:
    ok("stack", "register", "dev", "-o", "default", "-a", "default", "-m", "default", "-al", "bell")
    text = ok("stack", "export", "dev").stdout
    assert text.startswith("schema_version = 1\n")
    target = tmp_path / "dev.toml"
    assert ok("stack", "export", "dev", str(target)).stdout == f"Stack 'dev' exported to {target}.\n"
    data = read_toml(target)
    assert target.read_text() == text
    assert data["stack"] == {"name": "dev"}
    assert data["components"]["alerter"]["flavor"] == "echo"
    assert data["components"]["alerter"]["package"] == "stackyard-acme"
    assert data["components"]["alerter"]["config"] == {
        "post_on_failure": False,  # every alerter's option (issue 10)
        "webhook": "https://hooks.example/x", "channel": "general", "retries": 3, "ratio": 0.5,
        "loud": False, "tags": [], "limits": {},
    }
    assert set(data["components"]) == {"orchestrator", "artifact_store", "metadata_store", "alerter"}


def test_import_reuses_identical_components_and_renames_clashing_ones(ok, alerter: str, tmp_path: Path) -> None:
    ok("stack", "register", "dev", "-o", "default", "-a", "default", "-m", "default", "-al", "bell")
    target = tmp_path / "dev.toml"
    ok("stack", "export", "dev", str(target))

    result = ok("stack", "import", "copy", str(target))
    assert "Reused the identical alerter 'bell'." in result.stderr
    assert result.stdout == "Stack 'copy' successfully imported!\n"

    ok("alerter", "update", "bell", "--channel", "ops")  # now the file's 'bell' differs
    result = ok("stack", "import", "again", str(target))
    assert "A different alerter named 'bell' already exists; imported it as 'bell-1'." in result.stderr
    assert "Registered stack component with type 'alerter' and name 'bell-1'." in result.stderr
    data = json.loads(ok("alerter", "describe", "bell-1", "--output", "json").stdout)
    assert data["config"]["channel"] == "general"
    assert json.loads(ok("stack", "describe", "again", "--output", "json").stdout)["components"]["alerter"]["name"] == "bell-1"

    result = ok("stack", "import", "third", str(target))  # the same file once more: 'bell-1' is identical
    assert "Reused the identical alerter 'bell-1'." in result.stderr
    assert [row[1] for row in table_rows(ok("alerter", "list").stdout)] == ["bell", "bell-1"]


def test_import_into_another_profile_registers_the_components(ok, alerter: str, tmp_path: Path) -> None:
    ok("stack", "register", "dev", "-o", "default", "-a", "default", "-m", "default", "-al", "bell")
    target = tmp_path / "dev.toml"
    ok("stack", "export", "dev", str(target))
    ok("profile", "create", "team")
    ok("profile", "set", "team")
    result = ok("stack", "import", "dev", str(target))
    assert "Imported alerter 'bell'." in result.stderr
    assert table_rows(ok("alerter", "list").stdout)[0][1] == "bell"


def test_import_from_stdin(ok, tmp_path: Path) -> None:
    text = ok("stack", "export", "default").stdout
    ok("stack", "import", "piped", "-", input=text)
    assert [row[1] for row in table_rows(ok("stack", "list").stdout)] == ["default", "piped"]


def test_import_errors_change_nothing(ok, fails, tmp_path: Path, config_dir: Path) -> None:
    target = tmp_path / "dev.toml"
    ok("stack", "export", "default", str(target))
    before = stack_files(config_dir)
    assert "Error: A stack named 'default' already exists." in fails("stack", "import", "default", str(target)).stderr

    broken = tmp_path / "broken.toml"
    broken.write_text("not = [valid")
    result = fails("stack", "import", "x", str(broken))
    assert f"Error: Cannot read configuration file {broken}: not valid TOML" in result.stderr

    missing_flavor = target.read_text().replace('flavor = "sqlite"', 'flavor = "mysql"')
    missing_flavor = missing_flavor.replace('[components.metadata_store]\nname = "default"', '[components.metadata_store]\nname = "db"')
    other = tmp_path / "other.toml"
    other.write_text(missing_flavor)
    result = fails("stack", "import", "x", str(other))
    assert "Error: No metadata store flavor named 'mysql'." in result.stderr
    assert "pip install stackyard-local" in result.stderr

    result = fails("stack", "import", "x", str(tmp_path / "nope.toml"), code=2)
    assert "does not exist" in result.stderr
    assert stack_files(config_dir) == before


@pytest.mark.parametrize(
    "command",
    [("stack", "list"), ("stack", "describe"), ("stack", "describe", "default"), ("pipeline", "runs"), ("profile", "list")],
)
def test_a_missing_stack_named_by_the_environment_fails_every_command(ok, fails, command: tuple[str, ...]) -> None:
    ok("stack", "list")  # the default profile
    result = fails(*command, env={"STACKYARD_STACK": "nope"})
    assert result.stderr.splitlines()[-1] == (
        "Error: STACKYARD_STACK names the stack 'nope', which does not exist in profile 'default'; "
        "unset it or name an existing stack."
    )
    assert result.stdout == ""


def test_stack_list_warns_when_the_profiles_active_stack_is_gone(ok, config_dir: Path) -> None:
    ok("stack", "copy", "default", "dev")
    ok("stack", "set", "dev")
    (config_dir / "profiles" / "default" / "stacks" / "dev.toml").unlink()  # removed by hand
    result = ok("stack", "list")
    assert "Profile 'default' has as active the stack 'dev', which does not exist" in result.stderr
    assert "👉" not in result.stdout and "default" in result.stdout
