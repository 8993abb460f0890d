"""A user's session: register the deployer, run a pipeline that deploys a scikit-learn model, manage it from the CLI."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest

from stackyard import Repository, pipeline, step
from stackyard.steps import deploy_model
from stackyard.testing.model_deployer_conformance import answers, post_json


@step
def train() -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])  # y = 2x + 1


@step
def r2(model: Any) -> float:
    return float(model.score([[3.0], [4.0]], [7.0, 9.0]))


@pipeline
def regression(threshold: float = 0.9):
    model = train()
    deploy_model(model=model, metric=r2(model), threshold=threshold, model_name="regression")


@pytest.fixture
def deployed(stackyard_cli: Any) -> Any:
    """The active stack gets a 'serve' model deployer; a run deploys; every server is deleted afterwards."""
    assert stackyard_cli("model-deployer", "register", "serve", "--flavor", "local").exit_code == 0
    assert stackyard_cli("stack", "update", "default", "--model-deployer", "serve").exit_code == 0
    run = regression().run(run_name="first")
    yield run.get_step("deploy_model").output.read()
    deployer = Repository().get_stack_component("model_deployer", "serve")
    for server in deployer.find_model_server():
        deployer.delete_model_server(server["id"])


def listed(stackyard_cli: Any) -> list[dict[str, Any]]:
    result = stackyard_cli("model-deployer", "models", "list", "--output", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_a_pipeline_deploys_a_model_the_cli_then_finds_describes_and_stops(stackyard_cli: Any, deployed: Any) -> None:
    status, body = post_json(deployed["prediction_url"], {"instances": [[10.0]]})
    assert status == 200 and body["predictions"] == pytest.approx([21.0])
    assert deployed["prediction_url"].startswith("http://127.0.0.1:")
    table = stackyard_cli("model-deployer", "models", "list")
    assert table.exit_code == 0
    assert deployed["id"][:8] in table.output and "running" in table.output and "regression" in table.output
    described = stackyard_cli("model-deployer", "models", "describe", deployed["id"][:8], "--output", "json")
    assert json.loads(described.stdout)["prediction_url"] == deployed["prediction_url"]
    logs = stackyard_cli("model-deployer", "models", "logs", deployed["id"])
    assert logs.exit_code == 0 and "Uvicorn running on http://127.0.0.1:" in logs.output
    assert "POST /predict" in logs.output  # uvicorn's access log of the call above

    assert stackyard_cli("model-deployer", "models", "stop", deployed["id"][:8]).exit_code == 0
    assert [s["status"] for s in listed(stackyard_cli)] == ["stopped"]
    assert not answers(deployed["health_url"])
    assert stackyard_cli("model-deployer", "models", "delete", deployed["id"]).exit_code == 0
    assert listed(stackyard_cli) == []


def test_records_live_under_the_profile_folder_and_a_new_run_replaces_the_server(stackyard_cli: Any, deployed: Any) -> None:
    profile_folder = Repository().active_profile.store_path
    deployer = Repository().get_stack_component("model_deployer", "serve")
    record = profile_folder / "model_servers" / str(deployer.uuid) / deployed["id"] / "service.json"
    assert json.loads(record.read_text())["port"] == deployed["port"]
    second = regression().run(run_name="second").get_step("deploy_model").output.read()
    assert [s["id"] for s in listed(stackyard_cli)] == [second["id"]]
    assert not record.exists()
    assert not answers(deployed["health_url"])
    skipped = regression(threshold=1.5).run(run_name="third").get_step("deploy_model").output.read()
    assert skipped["deployed"] is False
    assert [s["id"] for s in listed(stackyard_cli)] == [second["id"]]  # the running server stays


def test_a_server_whose_process_died_shows_as_stopped(stackyard_cli: Any, deployed: Any) -> None:
    os.kill(deployed["pid"], signal.SIGKILL)
    deployer = Repository().get_stack_component("model_deployer", "serve")
    for _ in range(500):  # the kernel ends it at once; give it up to 5 s on a loaded machine
        if deployer.get_model_server(deployed["id"])["status"] == "stopped":
            break
        time.sleep(0.01)
    assert [s["status"] for s in listed(stackyard_cli)] == ["stopped"]
    assert stackyard_cli("model-deployer", "models", "delete", deployed["id"]).exit_code == 0


def test_bad_input_gets_one_clear_line(stackyard_cli: Any, deployed: Any) -> None:
    for command in ("describe", "logs", "stop", "delete"):
        result = stackyard_cli("model-deployer", "models", command, "0123456789abcdef0123456789abcdef")
        assert result.exit_code == 1
        assert result.stderr.strip().splitlines()[-1] == (
            "Error: No model server '0123456789abcdef0123456789abcdef' in model deployer 'serve'; "
            "see: stackyard model-deployer models list."
        )
        assert "Traceback" not in result.output
    missing = stackyard_cli("model-deployer", "models", "list", "--deployer", "nope")
    assert missing.exit_code == 1 and "nope" in missing.output and "Traceback" not in missing.output
    status, body = post_json(deployed["prediction_url"], {"instances": "not rows"})
    assert status == 422 and "error" in body
    assert listed(stackyard_cli)[0]["status"] == "running"  # nothing changed


def test_without_a_model_deployer_the_cli_says_how_to_add_one(stackyard_cli: Any) -> None:
    result = stackyard_cli("model-deployer", "models", "list")
    assert result.exit_code == 1
    assert "has no model deployer" in result.output and "--model-deployer NAME" in result.output
