"""Sensitive parameters (``SecretField``) and ``{{secret.key}}`` references, as a flavor author and user see them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Optional

import pytest

import stackyard
from stackyard import Repository, SecretField
from stackyard.alerters import BaseAlerter
from stackyard.exceptions import ComponentConfigError, SecretReferenceError
from stackyard.secrets import SecretReference, find_references, is_reference, resolve_stack_secrets
from stackyard.stack.stack import Stack


class WebhookAlerter(BaseAlerter):
    """Posts to a webhook with a token."""

    FLAVOR: ClassVar[str] = "webhook-test"
    url: str = "https://hooks.example.com/{{hook.path}}"
    token: str = SecretField()
    """The webhook's bearer token."""
    signing_key: Optional[str] = SecretField(default=None)

    def post(self, message: str) -> bool:
        return True

    def ask(self, question: str) -> bool:
        return True


def test_secret_field_is_exported_lazily() -> None:
    assert "SecretField" in stackyard.__all__
    assert stackyard.SecretField is SecretField


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("{{aws.secret_key}}", [SecretReference("aws", "secret_key")]),
        ("{{ my.team.secret.key-1 }}", [SecretReference("my.team.secret", "key-1")]),
        ("postgres://{{db.user}}:{{db.password}}@host/x", [SecretReference("db", "user"), SecretReference("db", "password")]),
        ("{{not a reference}}", []),
        ("plain", []),
        (3, []),
    ],
)
def test_references_are_found_in_string_values(value: object, found: list[SecretReference]) -> None:
    assert find_references(value) == found


def test_a_whole_reference_is_told_from_a_longer_value() -> None:
    assert is_reference("{{a.b}}") and is_reference(" {{ a.b }} ")
    assert not is_reference("x{{a.b}}") and not is_reference("{{a.b}}{{c.d}}x")


def test_a_plain_value_for_a_sensitive_parameter_is_refused_without_quoting_it() -> None:
    for build in (
        lambda: WebhookAlerter.from_config("hook", {"token": "tok-123456"}),
        lambda: WebhookAlerter(name="hook", token="tok-123456"),
        lambda: WebhookAlerter.from_config("hook", {"token": "{{a.b}}", "signing_key": "tok-123456"}),
    ):
        with pytest.raises(ComponentConfigError) as info:
            build()
        message = str(info.value)
        assert "is sensitive, so it takes a secret reference such as '{{my_secret." in message
        assert "tok-123456" not in message


def test_a_reference_is_kept_as_written() -> None:
    hook = WebhookAlerter.from_config("hook", {"token": "{{hook.token}}"})
    assert hook.token == "{{hook.token}}"
    assert hook.config == {
        "post_on_failure": False, "url": "https://hooks.example.com/{{hook.path}}", "token": "{{hook.token}}",
        "signing_key": None,
    }


def test_a_sensitive_parameter_may_hold_a_reference_inside_a_longer_value() -> None:
    hook = WebhookAlerter.from_config("hook", {"token": "Bearer {{hook.token}}"})
    assert hook.token == "Bearer {{hook.token}}"


def test_flavor_parameters_say_which_are_sensitive() -> None:
    from stackyard.stack.stack_component import parameters

    assert {name: p.secret for name, p in parameters(WebhookAlerter).items()} == {
        "post_on_failure": False, "url": False, "token": True, "signing_key": True,
    }


def test_a_secrets_managers_own_parameters_cannot_reference_secrets(repo_with_manager: Any) -> None:
    repo, _ = repo_with_manager
    with pytest.raises(ComponentConfigError, match="a secrets manager's parameters cannot reference secrets"):
        repo.get_flavor("secrets_manager", "local").create("loop", {"path": "{{x.path}}"})


@pytest.fixture
def repo_with_manager(tmp_path: Path) -> tuple[Repository, Any]:
    repo = Repository()
    manager = repo.get_flavor("secrets_manager", "local").create("secrets", {"path": str(tmp_path / "s.json")})
    manager.register_secret("hook", {"token": "tok-123456", "path": "T000/B000"})
    return repo, manager


def _stack(repo: Repository, manager: Any, alerter: BaseAlerter) -> Stack:
    default = repo.active_stack
    return Stack("s", orchestrator=default.orchestrator, artifact_store=default.artifact_store,
                 metadata_store=default.metadata_store, secrets_manager=manager, alerter=alerter)


def test_resolving_a_stack_copies_the_components_and_keeps_the_references_as_config(repo_with_manager: Any) -> None:
    repo, manager = repo_with_manager
    hook = WebhookAlerter(name="hook", token="{{hook.token}}")
    stack = _stack(repo, manager, hook)

    resolved = resolve_stack_secrets(stack)

    assert resolved.alerter.token == "tok-123456"
    assert resolved.alerter.url == "https://hooks.example.com/T000/B000"
    assert resolved.alerter.config["token"] == "{{hook.token}}"  # what records and exports see
    assert "tok-123456" not in json.dumps(resolved.alerter.config)
    assert "tok-123456" not in repr(resolved.alerter) and "token='********'" in repr(resolved.alerter)
    assert hook.token == "{{hook.token}}" and stack.alerter is hook  # the given stack is untouched
    assert resolved.orchestrator is stack.orchestrator  # nothing to resolve: the same instance
    assert resolve_stack_secrets(resolved).alerter is resolved.alerter


def test_an_unresolvable_reference_names_the_component_the_secret_and_the_key(repo_with_manager: Any) -> None:
    repo, manager = repo_with_manager
    stack = _stack(repo, manager, WebhookAlerter(name="hook", token="{{hook.tokn}}"))
    with pytest.raises(SecretReferenceError) as info:
        resolve_stack_secrets(stack)
    error = info.value
    assert (error.parameter, error.secret, error.key) == ("token", "hook", "tokn")
    assert "alerter 'hook'" in str(error) and "has no key 'tokn' (its keys: path, token)" in str(error)
    assert "tok-123456" not in str(error)
