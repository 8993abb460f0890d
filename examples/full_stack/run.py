"""Run the full-stack example: one pipeline that uses every stack component type Stackyard has a local flavor for.

    python examples/full_stack/run.py [--threshold 0.8] [--n-estimators 50]

It works in a profile of its own, ``full_stack``, chosen for this process
only (``STACKYARD_PROFILE``), so your active profile and stack stay as they
are. Everything it writes lives in that profile's folder: the feature
repository, the MLflow database, artifacts, runs, secrets and the records of
model servers. Run it again: the unchanged steps come from cache and the new
deployment replaces the last one. Remove it all with
``stackyard profile delete full_stack``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import feature_repo  # noqa: E402
from alert_receiver import AlertReceiver  # noqa: E402
from pipeline import churn_pipeline  # noqa: E402

from stackyard import Repository  # noqa: E402

PROFILE = "full_stack"
STACK = "default"  # the profile's own default stack, which this script fills in
CUSTOMERS_TO_SCORE = [1001, 1002, 1003]


def use_own_profile() -> Repository:
    """Create the ``full_stack`` profile if needed and make it this process's active profile."""
    os.environ.pop("STACKYARD_PROFILE", None)
    os.environ.pop("STACKYARD_STACK", None)
    repo = Repository()
    if PROFILE not in [profile.name for profile in repo.get_profiles()]:
        repo.create_profile(PROFILE)
    os.environ["STACKYARD_PROFILE"] = PROFILE  # inherited by the step operator's and model server's processes
    os.environ["STACKYARD_STACK"] = STACK
    return Repository()


def register(repo: Repository, component_type: str, name: str, flavor: str, **config: Any) -> None:
    """Register a component of ``flavor`` unless the profile has it already."""
    if name not in repo.component_names(component_type):
        repo.register_stack_component(repo.get_flavor(component_type, flavor).create(name, config))


def set_up_stack(repo: Repository, folder: Path, alert_url: str) -> None:
    """Fill the profile's default stack with a component of every type, each keeping its data in ``folder``
    (the local orchestrator is the one every profile starts with)."""
    register(repo, "artifact_store", "artifacts", "local", path=str(folder / "artifacts"))
    register(repo, "metadata_store", "runs", "sqlite", uri=str(folder / "metadata.db"))
    register(repo, "secrets_manager", "local_secrets", "local", path=str(folder / "secrets.json"))
    secrets = repo.get_stack_component("secrets_manager", "local_secrets")
    if "alerts" in secrets.get_all_secret_keys():
        secrets.update_secret("alerts", {"urls": alert_url})  # the receiver's port changes on every run
    else:
        secrets.register_secret("alerts", {"urls": alert_url})

    register(repo, "step_operator", "isolated", "local")
    register(repo, "experiment_tracker", "mlflow", "mlflow")  # a SQLite tracking store in the profile's folder
    register(repo, "feature_store", "shop_features", "feast", repo_path=str(folder / "feature_repo"))
    register(repo, "alerter", "team_chat", "apprise", urls="{{alerts.urls}}", post_on_failure=True)
    register(repo, "model_deployer", "local_server", "local")
    repo.update_stack(STACK, {
        "artifact_store": "artifacts",
        "metadata_store": "runs",
        "secrets_manager": "local_secrets",
        "step_operator": "isolated",
        "experiment_tracker": "mlflow",
        "feature_store": "shop_features",
        "alerter": "team_chat",
        "model_deployer": "local_server",
    })


def print_stack(repo: Repository) -> None:
    print(f"Stack '{STACK}' of profile '{PROFILE}':")
    for component_type, name in repo.get_stack_configuration(STACK).items():
        record = repo.get_component_record(component_type, name)
        print(f"  {component_type.value:<20} {name:<15} flavor {record.flavor} ({record.package})")


def print_run(run: Any) -> None:
    print(f"\nPipeline run '{run.name}': {run.status.value}")
    for step_run in run.steps:
        status = "cached" if step_run.is_cached else step_run.status.value
        print(f"  {step_run.name:<14} {status}")


def print_mlflow(run: Any) -> None:
    """The MLflow run of the pipeline run, and the nested run of each step that executed."""
    import mlflow

    parent = mlflow.get_run(run.metadata["mlflow_run_id"])
    print(f"\nMLflow run {parent.info.run_id} ({parent.info.status}), nested runs:")
    nested = mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        output_format="list",
    )
    for child in sorted(nested, key=lambda r: r.info.start_time):
        logged = {**child.data.params, **child.data.metrics}
        print(f"  {child.info.run_name:<14} {child.info.status:<9} {logged or ''}".rstrip())


def predict(feature_store: Any, prediction_url: str) -> None:
    """Score a few customers with their latest features, read from the online store, through the endpoint."""
    online = feature_store.get_online_features(
        [{"customer_id": customer} for customer in CUSTOMERS_TO_SCORE], feature_repo.FEATURES
    )
    rows = [[online[column][i] for column in feature_repo.FEATURE_COLUMNS] for i in range(len(CUSTOMERS_TO_SCORE))]
    request = urllib.request.Request(
        prediction_url, data=json.dumps({"instances": rows}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server on 127.0.0.1
        predictions = json.loads(response.read())["predictions"]
    print(f"\nPOST {prediction_url} with the online features ({', '.join(feature_repo.FEATURE_COLUMNS)}):")
    for customer, row, churn in zip(CUSTOMERS_TO_SCORE, rows, predictions):
        print(f"  customer {customer} {row} -> churn prediction {churn}")


def stop_servers(deployer: Any) -> None:
    """Stop every model server this example's pipeline left running (their records stay, as stopped)."""
    for server in deployer.find_model_server(pipeline_name="churn_pipeline", status="running"):
        deployer.stop_model_server(server["id"])
        status = deployer.get_model_server(server["id"])["status"]
        print(f"\nModel server {server['id'][:8]} stopped (status: {status})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train, track, deploy and alert with every stack component type.")
    parser.add_argument("--threshold", type=float, default=0.8, help="least accuracy to deploy (default 0.8)")
    parser.add_argument("--n-estimators", type=int, default=50, help="trees in the forest (default 50)")
    args = parser.parse_args(argv)

    repo = use_own_profile()
    folder = repo.active_profile.store_path
    print(f"Working in profile '{PROFILE}' ({folder}); your active profile is untouched.")

    with AlertReceiver() as receiver:
        print(f"Alert receiver listening on 127.0.0.1:{receiver.port}")
        labels_path = feature_repo.write_repo(folder / "feature_repo")
        set_up_stack(repo, folder, f"json://127.0.0.1:{receiver.port}/alerts")
        print_stack(repo)

        stack = repo.get_stack(STACK)
        feature_repo.apply_and_materialize(stack.feature_store, folder / "feature_repo")
        print(f"\nFeature repository {folder / 'feature_repo'}: applied and materialized")
        before = stack.model_deployer.find_model_server(pipeline_name="churn_pipeline")

        try:
            run = churn_pipeline(labels_path=str(labels_path), threshold=args.threshold,
                                 n_estimators=args.n_estimators).run()
            print_run(run)
            print_mlflow(run)
            deployment = run.get_step("deploy_model").output.read()
            if deployment["deployed"]:
                print(f"\nDeployed model server {deployment['id'][:8]} at {deployment['prediction_url']}")
                for old in before:
                    print(f"  replacing server {old['id'][:8]} of run '{old['run_name']}' ({old['status']}), now forgotten")
                predict(stack.feature_store, deployment["prediction_url"])
            else:
                print(f"\nNot deployed: {deployment['reason']}")
        finally:  # also when the run failed: the alerter has posted about it
            stop_servers(stack.model_deployer)
            print(f"\nAlerts received on 127.0.0.1:{receiver.port}:")
            for message in receiver.messages:
                print(f"  {message['title']} | {message['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
