"""``{{secret.key}}`` references in component parameters: resolved in a run and when reading artifacts back,
never stored, recorded or logged resolved."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import PipelineRunFailedError, SecretReferenceError
from stackyard.pipelines import ExecutionStatus
from stackyard.stack.stack import Stack
from stackyard.step_operators import BaseStepOperator

VALUE = "s3cr3t-Value-9f1c27"

TOKEN_PLUGIN = """
import hashlib
from typing import ClassVar

from stackyard import SecretField, hookimpl
from stackyard_local import LocalArtifactStore

EXPECTED = "%s"  # the sha256 of the token, so that this file does not hold the token itself
SEEN = []


class TokenArtifactStore(LocalArtifactStore):
    '''A local store that, like a cloud one, refuses to work without the right credential.'''

    FLAVOR: ClassVar[str] = "token"
    token: str = SecretField()

    def _check(self):
        if hashlib.sha256(self.token.encode()).hexdigest() != EXPECTED:
            raise PermissionError("the artifact store refused its token")

    def open(self, path, mode="r"):
        self._check()
        return super().open(path, mode)

    def prepare_step_run(self, *args, **kwargs):
        SEEN.append(self.token)


@hookimpl
def stackyard_artifact_store_flavors():
    return [TokenArtifactStore]
"""


@step
def numbers() -> list:
    logging.getLogger("stackyard").info("numbers step running")
    return [1, 2, 3]


@step
def total(values: list) -> int:
    return sum(values)


@pipeline
def token_pipeline():
    total(numbers())


@pytest.fixture
def token_plugin(make_plugin: Any) -> Any:
    import hashlib

    make_plugin("stackyard-token", "stackyard_token", TOKEN_PLUGIN % hashlib.sha256(VALUE.encode()).hexdigest())
    import stackyard_token

    stackyard_token.SEEN.clear()
    return stackyard_token


def _secrets_manager(repo: Repository, name: str, path: Path, secrets: dict[str, dict[str, str]]) -> Any:
    manager = repo.get_flavor("secrets_manager", "local").create(name, {"path": str(path)})
    repo.register_stack_component(manager)
    for secret, values in secrets.items():
        manager.register_secret(secret, values)
    return manager


def _tokened_stack(
    repo: Repository, token_plugin: Any, tmp_path: Path, *, reference: str = "{{store.token}}", name: str = "tokened"
) -> Stack:
    default = repo.active_stack
    manager = _secrets_manager(repo, "secrets", tmp_path / "secrets" / "secrets.json", {"store": {"token": VALUE}})
    store = repo.get_flavor("artifact_store", "token").create(
        "tokened", {"path": str(tmp_path / "artifacts"), "token": reference}
    )
    repo.register_stack_component(store)
    stack = Stack(
        name,
        orchestrator=default.orchestrator,
        artifact_store=store,
        metadata_store=default.metadata_store,
        secrets_manager=manager,
    )
    repo.register_stack(stack)
    repo.activate_stack(name)
    return stack


def _files_holding(text: str, *folders: Path, skip: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path != skip and text.encode() in path.read_bytes():
                found.append(str(path))
    return found


def test_a_reference_is_resolved_in_the_run_and_the_value_is_found_nowhere_else(
    repo: Repository, token_plugin: Any, tmp_path: Path, config_dir: Path, isolated: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _tokened_stack(repo, token_plugin, tmp_path)
    caplog.set_level(logging.DEBUG)

    run = token_pipeline().run()

    assert run.status is ExecutionStatus.COMPLETED
    assert token_plugin.SEEN == [VALUE, VALUE]  # each step's hook saw the resolved token
    assert run.get_step("total").output.read() == 6  # written and read through the token-checking store
    assert run.stack["components"]["artifact_store"]["config"]["token"] == "{{store.token}}"
    assert Repository().get_stack_component("artifact_store", "tokened").token == "{{store.token}}"
    secrets_file = tmp_path / "secrets" / "secrets.json"
    assert VALUE in secrets_file.read_text()
    assert _files_holding(VALUE, config_dir, isolated, tmp_path / "artifacts", skip=secrets_file) == []
    assert any(path.suffix == ".db" for path in config_dir.rglob("*"))  # the metadata database was searched
    assert VALUE not in caplog.text


def test_a_reference_inside_a_longer_value_is_resolved(repo: Repository, token_plugin: Any, tmp_path: Path) -> None:
    from stackyard.secrets import resolve_stack_secrets

    default = repo.active_stack
    manager = _secrets_manager(repo, "secrets", tmp_path / "s.json", {"db": {"user": "ann", "password": VALUE}})
    tracker = repo.get_flavor("artifact_store", "local").create(
        "templated", {"path": str(tmp_path / "a") + "/{{db.user}}-{{ db.password }}"}
    )
    stack = Stack("t", orchestrator=default.orchestrator, artifact_store=tracker,
                  metadata_store=default.metadata_store, secrets_manager=manager)
    resolved = resolve_stack_secrets(stack)
    assert resolved.artifact_store.path == str(tmp_path / "a") + f"/ann-{VALUE}"
    assert resolved.artifact_store.config["path"] == str(tmp_path / "a") + "/{{db.user}}-{{ db.password }}"
    assert stack.artifact_store.path.endswith("/{{db.user}}-{{ db.password }}")  # the given stack is untouched


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("{{nothere.token}}", "has no secret 'nothere'"),
        ("{{store.nokey}}", "secret 'store' has no key 'nokey'"),
    ],
)
def test_a_missing_secret_or_key_fails_before_any_step(
    repo: Repository, token_plugin: Any, tmp_path: Path, reference: str, expected: str
) -> None:
    _tokened_stack(repo, token_plugin, tmp_path, reference=reference)

    with pytest.raises(SecretReferenceError) as info:
        token_pipeline().run()

    message = str(info.value)
    assert expected in message
    assert "artifact store 'tokened'" in message and "parameter 'token'" in message
    assert VALUE not in message
    assert token_plugin.SEEN == []
    assert Repository().get_pipelines() == []  # no run, no step recorded
    assert not (tmp_path / "artifacts").exists()


def test_a_reference_without_a_secrets_manager_fails_naming_the_fix(
    repo: Repository, token_plugin: Any, tmp_path: Path
) -> None:
    default = repo.active_stack
    store = repo.get_flavor("artifact_store", "token").create(
        "tokened", {"path": str(tmp_path / "artifacts"), "token": "{{store.token}}"}
    )
    stack = Stack("bare", orchestrator=default.orchestrator, artifact_store=store, metadata_store=default.metadata_store)
    with pytest.raises(SecretReferenceError, match="has no secrets manager; add one to the stack"):
        token_pipeline().run(stack=stack)
    assert Repository().get_pipelines() == []


def test_artifacts_read_back_resolve_from_the_stack_the_run_recorded(
    repo: Repository, token_plugin: Any, tmp_path: Path
) -> None:
    stack = _tokened_stack(repo, token_plugin, tmp_path)
    token_pipeline().run(run_name="first")
    wrong = _secrets_manager(repo, "wrong", tmp_path / "wrong" / "secrets.json", {"store": {"token": "not-it"}})
    repo.register_stack(
        Stack("other", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
              metadata_store=stack.metadata_store, secrets_manager=wrong)
    )
    repo.activate_stack("other")

    fresh = Repository()  # nothing resolved in memory: read from the stored configuration
    output = fresh.get_run("first").get_step("total").output
    assert output.read() == 6  # the run recorded the 'secrets' manager, whose token is right

    with pytest.raises(PipelineRunFailedError, match="refused its token"):  # the active stack's secret is wrong
        token_pipeline().run(run_name="second", enable_cache=False)


LAUNCHED_COMMANDS: list[list[str]] = []


class RecordingOperator(BaseStepOperator):
    """Runs the step in a subprocess and remembers the command it was given."""

    FLAVOR: ClassVar[str] = "test-recording-subprocess"

    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        LAUNCHED_COMMANDS.append(list(entrypoint))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        subprocess.run(list(entrypoint), env=env, check=False)


@step(step_operator="remote")
def operated_total(values: list) -> int:
    return sum(values)


@pipeline
def operated_pipeline():
    operated_total(numbers())


def test_a_step_operator_gets_references_and_resolves_them_where_the_step_runs(
    repo: Repository, token_plugin: Any, tmp_path: Path, config_dir: Path, isolated: Path
) -> None:
    tokened = _tokened_stack(repo, token_plugin, tmp_path)
    stack = Stack("operated", **{c.TYPE.value: c for c in tokened}, step_operator=RecordingOperator(name="remote"))
    LAUNCHED_COMMANDS.clear()

    run = operated_pipeline().run(stack=stack, run_name="operated")

    assert run.status is ExecutionStatus.COMPLETED
    assert run.get_step("operated_total").output.read() == 6  # the subprocess opened the store with the token
    (command,) = LAUNCHED_COMMANDS
    assert not any(VALUE in part for part in command)
    assert any("{{store.token}}" in part for part in command)
    payloads = list((tmp_path / "artifacts").rglob("payload.pkl"))
    assert payloads, "the step went through the step operator's payload"
    secrets_file = tmp_path / "secrets" / "secrets.json"
    assert _files_holding(VALUE, config_dir, isolated, tmp_path / "artifacts", skip=secrets_file) == []
