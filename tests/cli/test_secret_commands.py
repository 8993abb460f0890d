"""``stackyard secret``: secrets of the active stack's secrets manager, values masked unless asked for."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from .conftest import table_rows

Invoke = Callable[..., Result]


@pytest.fixture
def with_secrets_manager(ok: Invoke, tmp_path: Path) -> Path:
    """The default stack plus a local secrets manager; the path of its file."""
    path = tmp_path / "vault" / "secrets.json"
    ok("secrets-manager", "register", "local_secrets", "--flavor=local", f"--path={path}")
    ok("stack", "update", "default", "-x", "local_secrets")
    return path


def test_without_a_secrets_manager_the_error_gives_the_two_commands_that_add_one(
    run: Invoke, ok: Invoke, fails: Invoke
) -> None:
    listed = ok("stack", "describe")
    assert "SECRETS_MANAGER" not in listed.stdout  # the default stack keeps its three components
    result = fails("secret", "list")
    line = result.stderr.strip().splitlines()[-1]
    assert "The active stack 'default' has no secrets manager" in line
    register, update = line.split("Add the local one with: ")[1].split(" && ")
    assert register.startswith("stackyard secrets-manager register local_secrets --flavor=local --path=")
    assert update == "stackyard stack update default -x local_secrets"
    ok(*shlex.split(register)[1:])  # the commands work as given
    ok(*shlex.split(update)[1:])
    assert "holds no secret" in ok("secret", "list").stderr


def test_register_list_get_masked_and_revealed(ok: Invoke, with_secrets_manager: Path) -> None:
    ok("secret", "register", "aws", "--access_key=AKIA123", "--secret-key=very-secret")
    listed = ok("secret", "list")
    assert "aws" in listed.stdout and "access_key, secret-key" in listed.stdout
    assert "AKIA123" not in listed.stdout and "very-secret" not in listed.stdout

    masked = ok("secret", "get", "aws")
    assert "access_key" in masked.stdout and "********" in masked.stdout
    assert "very-secret" not in masked.stdout
    assert json.loads(ok("secret", "get", "aws", "--output", "json").stdout) == {
        "name": "aws", "values": {"access_key": "********", "secret-key": "********"},
    }
    revealed = json.loads(ok("secret", "get", "aws", "--reveal", "--output", "json").stdout)
    assert revealed["values"] == {"access_key": "AKIA123", "secret-key": "very-secret"}
    assert "very-secret" in ok("secret", "get", "aws", "--reveal").stdout
    assert json.loads(ok("secret", "list", "--output", "json").stdout) == [
        {"name": "aws", "keys": ["access_key", "secret-key"]}
    ]


def test_values_from_a_file_and_from_a_prompt(ok: Invoke, with_secrets_manager: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text("-----KEY-----\nabc\n")
    result = ok("secret", "register", "db", f"--pem=@{key_file}", "--password", "--at=@@home", input="typed-pw\n")
    assert "typed-pw" not in result.output  # the prompt hides what is typed
    values = json.loads(ok("secret", "get", "db", "--reveal", "--output", "json").stdout)["values"]
    assert values == {"pem": "-----KEY-----\nabc", "password": "typed-pw", "at": "@home"}
    assert json.loads(with_secrets_manager.read_text())["db"]["password"] == "typed-pw"


def test_update_sets_keys_and_keeps_the_others(ok: Invoke, with_secrets_manager: Path) -> None:
    ok("secret", "register", "api", "--user=ann", "--token=old")
    ok("secret", "update", "api", "--token=new", "--region=eu")
    values = json.loads(ok("secret", "get", "api", "--reveal", "--output", "json").stdout)["values"]
    assert values == {"user": "ann", "token": "new", "region": "eu"}


def test_delete_asks_unless_yes(run: Invoke, ok: Invoke, with_secrets_manager: Path) -> None:
    ok("secret", "register", "api", "--token=x")
    declined = run("secret", "delete", "api", input="n\n")
    assert declined.exit_code != 0
    assert "api" in ok("secret", "list").stdout
    ok("secret", "delete", "api", "-y")
    assert json.loads(ok("secret", "list", "--output", "json").stdout) == []


def test_bad_input_is_one_clear_line(run: Invoke, fails: Invoke, ok: Invoke, with_secrets_manager: Path) -> None:
    ok("secret", "register", "api", "--token=x")
    assert "already exists" in fails("secret", "register", "api", "--token=y").stderr
    assert "No secret named 'nope'" in fails("secret", "get", "nope").stderr
    assert "No secret named 'nope'" in fails("secret", "update", "nope", "--a=b").stderr
    assert "No secret named 'nope'" in fails("secret", "delete", "nope", "-y").stderr
    assert "Cannot read the value of '--pem'" in fails("secret", "register", "x", "--pem=@/no/such/file").stderr
    usage = run("secret", "register", "x", "token")
    assert usage.exit_code == 2 and "--KEY=VALUE" in usage.output
    bad_key = run("secret", "register", "x", "--a.b=1")
    assert bad_key.exit_code == 2 and "Invalid secret key 'a.b'" in bad_key.output
    assert json.loads(ok("secret", "get", "api", "--reveal", "--output", "json").stdout)["values"] == {"token": "x"}


HOOK_PLUGIN = """
from typing import ClassVar

from stackyard import SecretField, hookimpl
from stackyard.alerters import BaseAlerter


class HookAlerter(BaseAlerter):
    '''Posts alerts to a webhook.'''

    FLAVOR: ClassVar[str] = "hook"
    url: str = "https://hooks.example.com"
    token: str = SecretField()
    '''The webhook's bearer token.'''

    def post(self, message):
        return True

    def ask(self, question):
        return True


@hookimpl
def stackyard_alerter_flavors():
    return [HookAlerter]
"""


@pytest.fixture
def hook_flavor(make_plugin: Callable[..., Path]) -> None:
    make_plugin("stackyard-hook", "stackyard_hook", HOOK_PLUGIN)


def test_a_sensitive_parameter_takes_a_reference_and_flavor_describe_says_so(
    ok: Invoke, fails: Invoke, hook_flavor: None, config_dir: Path
) -> None:
    described = ok("alerter", "flavor", "describe", "hook")
    assert "Sensitive parameters take a secret reference, never a plain value: --token={{my_secret.token}}" in described.stdout
    assert [row[:4] for row in table_rows(described.stdout)] == [
        ["post_on_failure", "bool", "false", "no"],
        ["url", "str", "https://hooks.example.com", "no"],
        ["token", "str (sensitive)", "", "yes"],
    ]
    data = json.loads(ok("alerter", "flavor", "describe", "hook", "--output", "json").stdout)
    assert [p["sensitive"] for p in data["parameters"]] == [False, False, True]

    refused = fails("alerter", "register", "loud", "--flavor=hook", "--token=tok-123456")
    assert "token: is sensitive, so it takes a secret reference such as '{{my_secret.token}}'" in refused.stderr
    assert "tok-123456" not in refused.output
    assert not list(config_dir.rglob("loud.toml"))

    ok("alerter", "register", "loud", "--flavor=hook", "--token={{hook.token}}")
    assert "{{hook.token}}" in ok("alerter", "describe", "loud").stdout  # a reference is safe to show


def test_a_plain_value_stored_before_the_flavor_marked_it_is_masked_everywhere(
    ok: Invoke, hook_flavor: None, config_dir: Path
) -> None:
    ok("alerter", "register", "loud", "--flavor=hook", "--token={{hook.token}}")
    ok("stack", "update", "default", "-al", "loud")
    (stored,) = config_dir.rglob("loud.toml")
    stored.write_text(stored.read_text().replace("{{hook.token}}", "tok-123456"))  # as an older release wrote it

    for args in (
        ("alerter", "list"), ("alerter", "list", "--output", "json"), ("alerter", "describe", "loud"),
        ("alerter", "describe", "loud", "--output", "yaml"), ("stack", "export", "default"),
    ):
        result = ok(*args)
        assert "tok-123456" not in result.output, args
        assert "********" in result.stdout, args
