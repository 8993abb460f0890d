"""The one-step entry point a step operator runs: ``python -m stackyard.pipelines.entrypoint``.

For a step marked ``@step(step_operator="name")``, ``run_step`` (in the
orchestrator's process) records the step as started, writes a *payload* —
the pickled deployment (pipeline and steps by reference, the stack with its
prepared components), the step's name, id, attempt and cache key — to
``<artifact store>/<pipeline>/<step>/operator/<step id>-<attempt>/payload.pkl``,
and hands the stack's step operator a command that runs this module::

    python -m stackyard.pipelines.entrypoint --artifact-store '<record JSON>' --payload <URI> \
        [--secrets-manager '<record JSON>']

Secret values never reach the payload or the command: components are written
with their ``{{secret.key}}`` references, as they are stored. Wherever the
operator runs it (a subprocess, a container, a GPU machine with the same
packages installed), the entry point rebuilds the secrets manager and the
artifact store from their records, resolves the store's references, loads
the payload, resolves the stack's references again, reads the step's inputs, runs it with the
components' step hooks, writes its outputs and metadata, and writes
``result.json`` beside the payload: the outputs' records, or the error. The
orchestrator's process reads that result and records the step's outcome.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stackyard.pipelines.step_errors import StepError

if TYPE_CHECKING:
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.pipelines.deployment import PipelineDeployment

MODULE = "stackyard.pipelines.entrypoint"


def operator_folder(deployment: PipelineDeployment, step_name: str, step_id: str, attempt: int) -> str:
    """Where the payload and result of one attempt of an operated step live."""
    store = deployment.stack.artifact_store
    assert store is not None
    return f"{store.path.rstrip('/')}/{deployment.pipeline_name}/{step_name}/operator/{step_id}-{attempt}"


def write_payload(
    deployment: PipelineDeployment, step_name: str, step_id: str, attempt: int, final: bool, key: str | None = None
) -> list[str]:
    """Write the payload of one attempt and return the command that runs it (components as their
    stored forms: secret references, never their values)."""
    from stackyard.records import ComponentRecord

    store = deployment.stack.artifact_store
    assert store is not None
    folder = operator_folder(deployment, step_name, step_id, attempt)
    store.makedirs(folder)
    payload = {
        "deployment": deployment, "step": step_name, "step_id": step_id, "attempt": attempt, "final": final, "key": key,
    }
    with store.open(f"{folder}/payload.pkl", "wb") as file:
        _ReferencesOnly(file, pickle.HIGHEST_PROTOCOL).dump(payload)
    command = [sys.executable, "-m", MODULE, "--artifact-store", ComponentRecord.of(store).to_json(), "--payload", f"{folder}/payload.pkl"]
    manager = deployment.stack.secrets_manager
    return command + (["--secrets-manager", ComponentRecord.of(manager).to_json()] if manager is not None else [])


class _ReferencesOnly(pickle.Pickler):
    """Pickles components whose secrets were resolved as they were stored: with their references."""

    def reducer_override(self, obj: Any) -> Any:
        from stackyard.secrets import reduce_with_references

        return reduce_with_references(obj)


def read_result(store: BaseArtifactStore, folder: str) -> dict[str, Any]:
    """The result the entry point wrote (``records``, or ``error`` with the exception)."""
    path = f"{folder}/result.json"
    if not store.exists(path):
        return {"error": {"type_name": "StepOperatorError", "message": "the step operator ran nothing (no result)",
                          "traceback": "", "pickled": None}}
    with store.open(path, "r") as file:
        return dict(json.loads(file.read()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one step from a payload; return 0 if it completed, 1 if it failed."""
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description="Run one pipeline step from a payload.")
    parser.add_argument("--artifact-store", required=True, help="the artifact store's record, as JSON")
    parser.add_argument("--payload", required=True, help="URI of the payload in that artifact store")
    parser.add_argument("--secrets-manager", help="the stack's secrets manager's record, as JSON, to resolve references")
    args = parser.parse_args(argv)
    from stackyard.repository import Repository
    from stackyard.secrets import resolve_component

    repo = Repository()
    manager = repo.build_component(json.loads(args.secrets_manager)) if args.secrets_manager else None
    store = resolve_component(repo.build_component(json.loads(args.artifact_store)), manager)  # type: ignore[arg-type]
    with store.open(args.payload, "rb") as file:
        payload = pickle.load(file)  # noqa: S301 - written by this run's own orchestrating process
    deployment: PipelineDeployment = payload["deployment"]
    deployment.resolve_secrets_here()  # the payload holds references only
    folder = args.payload.rsplit("/", 1)[0]
    from stackyard.pipelines.step_logs import capture

    with capture() as log:
        try:
            result: dict[str, Any] = deployment.execute_operated_step(
                payload["step"], payload["step_id"], payload["attempt"], payload["final"], payload.get("key")
            )
        except Exception as exc:  # noqa: BLE001 - sent back to the orchestrator
            result = {"error": StepError.of(payload["step"], exc).to_json()}
    result["logs"] = log.getvalue()
    with store.open(f"{folder}/result.json", "w") as file:
        file.write(json.dumps(result, default=str))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
