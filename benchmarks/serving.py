"""Benchmark the wave-2 local flavors: model serving, the local step operator, encrypted secrets.

Run: ``.venv/bin/python benchmarks/serving.py`` (needs stackyard-serve and
``stackyard-local[encrypted]``). Everything happens in a temporary config
directory on the default local stack.

- deploy: ``LocalModelDeployer.deploy_model`` of a recorded artifact until
  its server answers /health, and ``POST /predict`` round trips (median),
  vs a bare ``python -c pass`` start;
- operator: the sample pipeline with one step run by the ``local`` step
  operator (a new process per step) vs the 4-step sample pipeline in-process;
- secrets: ``get_secret`` on the ``encrypted`` secrets manager vs ``local``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _timed(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="stackyard-bench-serving-"))
    os.environ["STACKYARD_CONFIG_PATH"] = str(folder / "config")
    os.chdir(folder)
    from stackyard import Repository
    from stackyard.records import ComponentRecord
    from stackyard.stack.stack import Stack
    from stackyard.testing.model_deployer_conformance import post_json, train_and_deploy
    from stackyard_local.encrypted_secrets_manager import EncryptedSecretsManager, generate_key
    from stackyard_local.secrets_manager import LocalSecretsManager
    from stackyard_local.step_operator import LocalStepOperator
    from stackyard_serve.model_deployer import LocalModelDeployer

    stack = Repository().active_stack
    bare = _timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)

    deployer = LocalModelDeployer(name="bench", root=str(folder / "servers"))
    serving = Stack("serving", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                    metadata_store=stack.metadata_store, model_deployer=deployer)
    run = train_and_deploy(quality=0.0).run(stack=serving, run_name="bench")  # trains, deploys nothing
    artifact = run.get_step("fit_line").output
    store_record = json.loads(json.dumps(ComponentRecord.of(stack.artifact_store).to_dict(), default=str))
    config = {"materializer": artifact.materializer, "data_type": artifact.data_type, "artifact_store": store_record}
    deploy_times = []
    for _ in range(3):
        start = time.perf_counter()
        server = deployer.deploy_model(artifact.uri, config)
        deploy_times.append(time.perf_counter() - start)
        predict = _timed(lambda: post_json(server["prediction_url"], {"instances": [1, 2, 3]}), 200)
        deployer.delete_model_server(server["id"])
    deploy = statistics.median(deploy_times)
    print(f"deploy until healthy: {deploy * 1000:.0f} ms ({deploy / bare:.1f}x python -c pass at {bare * 1000:.0f} ms)")
    print(f"POST /predict round trip: {predict * 1000:.2f} ms (median of 200)")

    from stackyard.testing.sample_pipelines import OPERATOR_NAME, diamond, operated

    operated_stack = Stack("bench", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                           metadata_store=stack.metadata_store, step_operator=LocalStepOperator(name=OPERATOR_NAME))
    in_process = _timed(lambda: diamond(n=time.time_ns()).run(stack=stack), 5)
    by_operator = _timed(lambda: operated(n=time.time_ns()).run(stack=operated_stack), 5)
    print(f"run of 4 steps in-process: {in_process * 1000:.0f} ms; run of 3 steps, one through the local step "
          f"operator: {by_operator * 1000:.0f} ms ({by_operator / in_process:.1f}x; the operated step pays a Python start)")

    os.environ["STACKYARD_SECRETS_KEY"] = generate_key()
    local = LocalSecretsManager(name="plain", path=str(folder / "plain.json"))
    encrypted = EncryptedSecretsManager(name="enc", path=str(folder / "enc.json"))
    for manager in (local, encrypted):
        for i in range(50):
            manager.register_secret(f"s{i}", {"password": "x" * 32})
    plain_get = _timed(lambda: local.get_secret("s7"), 200)
    encrypted_get = _timed(lambda: encrypted.get_secret("s7"), 200)
    print(f"get_secret of 50 secrets: local {plain_get * 1e6:.0f} us, encrypted {encrypted_get * 1e6:.0f} us "
          f"({encrypted_get / plain_get:.1f}x)")


if __name__ == "__main__":
    main()
