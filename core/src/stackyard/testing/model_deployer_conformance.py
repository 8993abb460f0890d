"""The conformance suite of model deployers: deploy, predict over HTTP, replace, stop, delete, find again.

Subclass :class:`ModelDeployerConformance` in a ``Test*`` class and provide a
``model_deployer`` fixture returning an instance of your flavor that starts
without servers. The suite deploys a small model (:class:`LinearModel`,
importable from here by your server process) through the built-in
:func:`stackyard.steps.deploy_model` step, calls its ``prediction_url`` with
``{"instances": [...]}`` and expects ``{"predictions": [...]}``. Every
server a test started is deleted when it ends.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackyard.model_deployers import BaseModelDeployer, ModelServerNotFoundError
from stackyard.pipelines import pipeline, step
from stackyard.stack.stack import Stack
from stackyard.steps import deploy_model
from stackyard.testing.conformance import _PipelineSuite


class LinearModel:
    """``slope * x + intercept`` with a ``predict`` method, as scikit-learn models have."""

    def __init__(self, slope: float, intercept: float) -> None:
        self.slope = slope
        self.intercept = intercept

    def predict(self, instances: list[float]) -> list[float]:
        return [self.slope * float(x) + self.intercept for x in instances]


@step
def fit_line(slope: float, intercept: float) -> LinearModel:
    return LinearModel(slope, intercept)


@step
def evaluate(model: LinearModel, quality: float) -> float:
    return quality


@pipeline
def train_and_deploy(slope: float = 2.0, intercept: float = 1.0, quality: float = 0.95, threshold: float = 0.9):
    """fit_line -> evaluate -> deploy_model (only if quality >= threshold)."""
    model = fit_line(slope=slope, intercept=intercept)
    deploy_model(model=model, metric=evaluate(model, quality=quality), threshold=threshold, model_name="line")


def post_json(url: str, payload: Any, timeout: float = 10) -> tuple[int, Any]:
    """POST ``payload`` as JSON; the status and the decoded answer (an HTTP error's too)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback in tests
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def answers(url: str) -> bool:
    """Whether anything answers ``url`` (a GET) right now."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


class ModelDeployerConformance(_PipelineSuite):
    """Checks that a model deployer serves a pipeline's model over HTTP and manages its servers."""

    @pytest.fixture
    def model_deployer(self) -> BaseModelDeployer:
        pytest.fail("Define a `model_deployer` fixture returning an instance of your model deployer flavor.")

    @pytest.fixture
    def component(self, model_deployer: BaseModelDeployer) -> Iterator[BaseModelDeployer]:
        yield model_deployer
        for server in model_deployer.find_model_server():  # never leave a server behind
            model_deployer.delete_model_server(server["id"])

    def deploy(self, stack: Stack, **parameters: Any) -> dict[str, Any]:
        run = train_and_deploy(**parameters).run(stack=stack, run_name=self.run_name())
        return dict(run.get_step("deploy_model").output.read())

    def test_is_a_model_deployer_flavor(self, model_deployer: BaseModelDeployer) -> None:
        assert isinstance(model_deployer, BaseModelDeployer)

    def test_a_deployed_model_answers_predictions_over_http(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack
    ) -> None:
        server = self.deploy(conformance_stack, slope=2.0, intercept=1.0)
        assert server["deployed"] is True and server["status"] == "running"
        assert post_json(server["prediction_url"], {"instances": [1, 2, 3]}) == (200, {"predictions": [3.0, 5.0, 7.0]})
        found = model_deployer.find_model_server(pipeline_name="train_and_deploy", step_name="deploy_model")
        assert [s["id"] for s in found] == [server["id"]]
        assert found[0]["model_name"] == "line" and found[0]["model_uri"] == server["model_uri"]

    def test_a_model_below_the_threshold_is_not_deployed(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack
    ) -> None:
        result = self.deploy(conformance_stack, quality=0.5, threshold=0.9)
        assert result == {"deployed": False, "reason": "metric 0.5 is below the threshold 0.9"}
        assert model_deployer.find_model_server() == []

    def test_a_new_deployment_replaces_the_server_of_the_same_step(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack
    ) -> None:
        first = self.deploy(conformance_stack, slope=2.0)
        second = self.deploy(conformance_stack, slope=10.0, intercept=0.0)
        assert post_json(second["prediction_url"], [1, 2]) == (200, {"predictions": [10.0, 20.0]})
        servers = model_deployer.find_model_server(pipeline_name="train_and_deploy", step_name="deploy_model")
        assert [s["id"] for s in servers] == [second["id"]]
        if first["prediction_url"] != second["prediction_url"]:
            assert not answers(first["prediction_url"]), "the replaced server still answers"

    def test_stop_keeps_the_record_and_delete_forgets_it(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack
    ) -> None:
        server = self.deploy(conformance_stack)
        model_deployer.stop_model_server(server["id"])
        stopped = model_deployer.get_model_server(server["id"])
        assert stopped["status"] == "stopped"
        assert not answers(server["prediction_url"])
        model_deployer.stop_model_server(server["id"])  # stopping twice is harmless
        model_deployer.delete_model_server(server["id"])
        assert model_deployer.find_model_server() == []
        with pytest.raises(ModelServerNotFoundError, match=server["id"][:8]):
            model_deployer.get_model_server(server["id"])

    def test_servers_are_found_again_by_a_new_instance(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack
    ) -> None:
        server = self.deploy(conformance_stack)
        again = type(model_deployer).from_config(model_deployer.name, model_deployer.config, uuid=model_deployer.uuid)
        assert isinstance(again, BaseModelDeployer)
        found = again.get_model_server(server["id"][:8])  # a unique prefix is enough
        assert found["id"] == server["id"] and found["status"] == "running"
        logs = again.get_logs(server["id"])
        assert logs is None or isinstance(logs, str)

    def test_deploy_model_serves_a_recorded_artifact_by_uri(
        self, model_deployer: BaseModelDeployer, conformance_stack: Stack, tmp_path: Path
    ) -> None:
        from stackyard.records import ComponentRecord

        run = train_and_deploy(quality=0.0).run(stack=conformance_stack, run_name=self.run_name())
        assert model_deployer.find_model_server() == []
        artifact = run.get_step("fit_line").output
        store = conformance_stack.artifact_store
        assert store is not None
        server = model_deployer.deploy_model(artifact.uri, {
            "materializer": artifact.materializer,
            "data_type": artifact.data_type,
            "artifact_store": json.loads(ComponentRecord.of(store).to_json()),
            "model_name": "by-uri",
        })
        assert server["model_uri"] == artifact.uri and server["pipeline_name"] is None
        assert post_json(server["prediction_url"], {"instances": [0]}) == (200, {"predictions": [1.0]})

    def test_unknown_servers_are_not_found(self, model_deployer: BaseModelDeployer) -> None:
        for call in (model_deployer.get_model_server, model_deployer.stop_model_server, model_deployer.delete_model_server):
            with pytest.raises(ModelServerNotFoundError) as info:
                call("f" * 32)
            assert isinstance(info.value, KeyError) and "f" * 32 in str(info.value)
