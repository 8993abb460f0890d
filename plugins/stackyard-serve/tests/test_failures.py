"""What a user sees when a model cannot be served, or a request does not suit it."""

from __future__ import annotations

import pytest

from stackyard import Repository, pipeline, step
from stackyard.exceptions import PipelineRunFailedError
from stackyard.model_deployers import ModelDeploymentError
from stackyard.stack.stack import Stack
from stackyard.steps import deploy_model
from stackyard.testing.model_deployer_conformance import LinearModel, post_json
from stackyard_serve.model_deployer import LocalModelDeployer


@step
def not_a_model() -> int:
    return 42


@step
def line() -> LinearModel:
    return LinearModel(3.0, 0.0)


@pipeline
def deploy_a_number():
    deploy_model(model=not_a_model())


@pipeline
def deploy_a_line():
    deploy_model(model=line())


def serving(deployer: LocalModelDeployer) -> Stack:
    stack = Repository().active_stack
    return Stack("serving", orchestrator=stack.orchestrator, artifact_store=stack.artifact_store,
                 metadata_store=stack.metadata_store, model_deployer=deployer)


def test_a_model_that_cannot_predict_fails_the_step_with_the_end_of_its_log(
    deployer: LocalModelDeployer, stackyard_config: object
) -> None:
    stack = serving(deployer)
    first = deploy_a_line().run(stack=stack, run_name="line").get_step("deploy_model").output.read()
    with pytest.raises(PipelineRunFailedError) as caught:
        deploy_a_number().run(stack=stack, run_name="number")
    error = caught.value.__cause__
    assert isinstance(error, ModelDeploymentError)
    assert str(error).startswith("The model server for ") and "failed to start: its process exited." in str(error)
    assert "a int has no predict() method and is not callable: it cannot be served" in str(error)
    assert [s["id"] for s in deployer.find_model_server()] == [first["id"]]  # the failed one is gone, the other serves
    assert post_json(first["prediction_url"], [2]) == (200, {"predictions": [6.0]})


def test_requests_that_do_not_suit_get_an_error_body(deployer: LocalModelDeployer, stackyard_config: object) -> None:
    server = deploy_a_line().run(stack=serving(deployer), run_name="line").get_step("deploy_model").output.read()
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server["prediction_url"], data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback
    assert caught.value.code == 400 and b"the request body must be JSON" in caught.value.read()
    assert post_json(server["prediction_url"], {"rows": [1]}) == (400, {"error": 'send {"instances": [...]} or a JSON list'})
    status, body = post_json(server["prediction_url"], {"instances": ["x"]})
    assert status == 422 and body["error"].startswith("ValueError: could not convert string to float")
    assert post_json(server["prediction_url"], {"instances": [1]}) == (200, {"predictions": [3.0]})  # still serving
