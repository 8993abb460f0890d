"""``stackyard profile create|list|describe|set|delete|get``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.files import read_toml

from .conftest import table_headers, table_rows


def test_create_with_a_url_keeps_the_store_there(ok, tmp_path: Path) -> None:
    store = tmp_path / "team-store"
    ok("profile", "create", "team", "--store-type", "local", "--url", store.as_uri())
    assert (store / "stacks" / "default.toml").is_file()
    data = json.loads(ok("profile", "describe", "team", "--output", "json").stdout)
    assert data == {
        "name": "team",
        "store_type": "local",
        "url": store.as_uri(),
        "active_stack_name": "default",
        "active": False,
    }


def test_create_refuses_an_existing_name_and_an_unknown_store_type(ok, fails) -> None:
    ok("profile", "create", "team")
    result = fails("profile", "create", "team")
    assert "Error: A profile named 'team' already exists." in result.stderr
    result = fails("profile", "create", "other", "--store-type", "sql", code=2)
    assert "Invalid value for '--store-type'" in result.stderr


def test_create_refuses_a_bad_name(fails, config_dir: Path) -> None:
    result = fails("profile", "create", "my team")
    assert "Invalid profile name 'my team'" in result.stderr
    assert not (config_dir / "profiles" / "my team.toml").exists()


def test_list_as_json_and_yaml(ok) -> None:
    ok("profile", "create", "team")
    data = json.loads(ok("profile", "list", "--output", "json").stdout)
    assert [(p["name"], p["active"], p["active_stack_name"]) for p in data] == [
        ("default", True, "default"),
        ("team", False, "default"),
    ]
    yaml = ok("profile", "list", "--output", "yaml").stdout
    assert "- name: default\n" in yaml
    assert "  active: true\n" in yaml


def test_describe_defaults_to_the_active_profile(ok) -> None:
    result = ok("profile", "describe")
    assert "Profile 'default' (ACTIVE)" in result.stdout
    assert table_headers(result.stdout) == ["PROPERTY", "VALUE"]
    rows = dict(tuple(row) for row in table_rows(result.stdout))
    assert rows["NAME"] == "default"
    assert rows["STORE TYPE"] == "local"
    assert rows["ACTIVE STACK"] == "default"


def test_describe_an_unknown_profile_suggests_a_close_match(ok, fails) -> None:
    ok("profile", "create", "production")
    result = fails("profile", "describe", "prodution")
    assert "Error: No profile named 'prodution'. Did you mean 'production'?" in result.stderr


def test_get_prints_the_active_profile(ok) -> None:
    assert ok("profile", "get").stdout == "Active profile: 'default'\n"
    ok("profile", "create", "team")
    assert ok("profile", "get", env={"STACKYARD_PROFILE": "team"}).stdout == "Active profile: 'team'\n"


def test_set_global_inside_a_repository_changes_the_global_setting(ok, config_dir: Path, isolated: Path) -> None:
    ok("profile", "create", "team")
    ok("init")
    result = ok("profile", "set", "team", "--global")
    assert "Global active profile changed to: 'team'" in result.stdout
    assert read_toml(config_dir / "config.toml")["active_profile_name"] == "team"
    assert read_toml(isolated / ".stackyard" / "config.toml")["active_profile_name"] == "default"
    assert "Running with active profile: 'default' (local)" in ok("profile", "get").stderr


def test_set_warns_when_the_environment_overrides_it(ok) -> None:
    ok("profile", "create", "team")
    ok("profile", "create", "other")
    result = ok("profile", "set", "other", env={"STACKYARD_PROFILE": "team"})
    assert "Running with active profile: 'team' (environment)" in result.stderr
    assert "STACKYARD_PROFILE=team overrides this setting" in result.stderr


def test_set_an_unknown_profile_changes_nothing(ok, fails, config_dir: Path) -> None:
    ok("profile", "list")
    before = read_toml(config_dir / "config.toml")
    result = fails("profile", "set", "nope")
    assert "Error: No profile named 'nope'." in result.stderr
    assert read_toml(config_dir / "config.toml") == before


def test_delete_removes_the_profile_and_its_store(ok, config_dir: Path) -> None:
    ok("profile", "create", "team")
    result = ok("profile", "delete", "team")
    assert result.stdout == "Profile 'team' deleted.\n"
    assert not (config_dir / "profiles" / "team").exists()
    assert [row[1] for row in table_rows(ok("profile", "list").stdout)] == ["default"]


def test_delete_refuses_the_active_profile(ok, fails, config_dir: Path) -> None:
    ok("profile", "list")
    result = fails("profile", "delete", "default")
    assert "Error: Profile 'default' is the globally active profile" in result.stderr
    assert (config_dir / "profiles" / "default.toml").is_file()


def test_delete_refuses_the_profile_active_in_the_repository(ok, fails) -> None:
    ok("profile", "create", "team")
    ok("init")
    ok("profile", "set", "team")
    result = fails("profile", "delete", "team")
    assert "is active in the repository" in result.stderr


@pytest.mark.parametrize("args", [["profile", "delete"], ["profile", "set"], ["profile", "create"]])
def test_missing_arguments_are_usage_errors(fails, args: list[str]) -> None:
    result = fails(*args, code=2)
    assert "Missing argument 'NAME'" in result.stderr
