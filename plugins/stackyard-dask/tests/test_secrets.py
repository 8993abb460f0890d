"""Secret values never travel to the Dask scheduler or workers: the workers resolve the references."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stackyard import pipeline, step
from stackyard.repository import Repository
from stackyard.stack.stack import Stack
from stackyard.stack.stack_component import SecretField
from stackyard_dask import shipping
from stackyard_dask.orchestrator import DaskOrchestrator

VALUE = "s3cr3t-" + "token-value"
EXPECTED = hashlib.sha256(VALUE.encode()).hexdigest()  # what the store checks, so that its code does not hold the value


def _local_store_class() -> type:
    return Repository().get_flavor("artifact_store", "local").implementation  # type: ignore[no-any-return]


@pytest.fixture
def token_store_class(stackyard_config: Path) -> type:
    class TokenArtifactStore(_local_store_class()):  # type: ignore[misc]
        """A local store that, like a cloud one, works only with the right credential."""

        FLAVOR: ClassVar[str] = "dask-test-token"
        token: str = SecretField()

        def open(self, path: str, mode: str = "r") -> Any:
            if hashlib.sha256(self.token.encode()).hexdigest() != EXPECTED:
                raise PermissionError(f"the artifact store refused its token (pid {os.getpid()})")
            return super().open(path, mode)

    return TokenArtifactStore


@step(enable_cache=False)
def worker_pid() -> int:
    return os.getpid()


@pipeline
def secretive():
    worker_pid()


def test_the_payload_holds_references_and_workers_resolve_them(
    dask_stack: Stack, token_store_class: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = Repository().get_flavor("secrets_manager", "local").implementation(
        name="secrets", path=str(tmp_path / "secrets.json")
    )
    manager.register_secret("store", {"token": VALUE})
    store = token_store_class(name="tokened", path=str(tmp_path / "tokened"), token="{{store.token}}")
    stack = Stack("secret", orchestrator=dask_stack.orchestrator, artifact_store=store,
                  metadata_store=dask_stack.metadata_store, secrets_manager=manager)
    payloads: list[bytes] = []
    dumps = shipping.dumps
    monkeypatch.setattr(shipping, "dumps", lambda *a, **k: payloads.append(dumps(*a, **k)) or payloads[-1])

    run = secretive().run(stack=stack, run_name=f"secret-{uuid.uuid4().hex[:8]}")

    assert run.get_step("worker_pid").output.read() != os.getpid()  # written on a worker, with the token
    (payload,) = payloads
    assert VALUE.encode() not in payload
    assert b"{{store.token}}" in payload
