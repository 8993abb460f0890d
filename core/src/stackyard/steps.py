"""Built-in steps that work on any stack.

``deploy_model`` hands its model input to the stack's model deployer, if a
condition holds::

    from stackyard import pipeline
    from stackyard.steps import deploy_model

    @pipeline
    def train_and_deploy():
        model = train()
        deploy_model(model=model, metric=evaluate(model), threshold=0.9)

The model is served from the artifact the upstream step wrote (loaded with
its materializer), and the new server replaces the running server of the
same pipeline and step once it is healthy: continuous deployment.
"""

from __future__ import annotations

import json
from typing import Any

from stackyard.pipelines import step


@step(enable_cache=False)  # deploying is a side effect: never served from cache
def deploy_model(
    model: Any,
    metric: float | None = None,
    threshold: float | None = None,
    deploy: bool = True,
    greater_is_better: bool = True,
    model_name: str = "model",
) -> dict:
    """Deploy ``model`` with the stack's model deployer if ``deploy`` and ``metric`` reaches ``threshold``.

    ``metric`` and ``deploy`` may be outputs of other steps. Without
    ``threshold`` the metric is not checked; with ``greater_is_better=False``
    the metric must be at most the threshold. Returns the new server's
    description with ``"deployed": True``, or ``{"deployed": False, "reason": ...}``.
    """
    from stackyard.model_deployers import ModelDeploymentError
    from stackyard.pipelines.step_context import get_step_context
    from stackyard.records import ComponentRecord

    context = get_step_context()
    deployer = context.stack.model_deployer
    if deployer is None:
        raise ModelDeploymentError(
            f"Step '{context.step_name}' deploys a model, but stack '{context.stack.name}' has no model deployer; "
            f"add one: stackyard stack update {context.stack.name} --model-deployer NAME"
        )
    reason = _skip_reason(metric, threshold, deploy, greater_is_better)
    if reason is not None:
        print(f"Not deployed: {reason}.")
        return {"deployed": False, "reason": reason}
    store = context.stack.metadata_store
    assert store is not None and context.stack.artifact_store is not None
    artifact = next(
        a for a in store.get_artifacts(context.step_id) if a.get("direction") == "input" and a.get("name") == "model"
    )
    manager = context.stack.secrets_manager

    def record(component: Any) -> dict[str, Any]:  # the stored form: secret references, never values
        return dict(json.loads(ComponentRecord.of(component).to_json()))

    server = deployer.deploy_model(
        str(artifact["uri"]),
        {
            "materializer": artifact["materializer"],
            "data_type": artifact.get("data_type"),
            "extra": artifact.get("extra") or {},
            "artifact_store": record(context.stack.artifact_store),
            "secrets_manager": record(manager) if manager is not None else None,
            "pipeline_name": context.pipeline_name,
            "run_name": context.run_name,
            "step_name": context.step_name,
            "model_name": model_name,
            "replace": True,
        },
    )
    print(f"Deployed {model_name} at {server['prediction_url']} (server {server['id']}).")
    context.add_metadata(model_server_id=server["id"], prediction_url=server["prediction_url"])
    return {"deployed": True, **server}


def _skip_reason(metric: float | None, threshold: float | None, deploy: bool, greater_is_better: bool) -> str | None:
    """Why the model is not deployed, or ``None`` if it is."""
    if not deploy:
        return "deploy is false"
    if threshold is None:
        return None
    if metric is None:
        return f"a threshold ({threshold:g}) was given without a metric"
    if greater_is_better and metric < threshold:
        return f"metric {metric:g} is below the threshold {threshold:g}"
    if not greater_is_better and metric > threshold:
        return f"metric {metric:g} is above the threshold {threshold:g}"
    return None
