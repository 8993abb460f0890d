"""The full-stack pipeline: features from Feast, training in its own process, tracking in MLflow,
deployment behind an HTTP endpoint and a message through Apprise.

Each step reaches its component through the step context
(``get_step_context().stack``) or, for MLflow, through MLflow's own API:
the stack's experiment tracker makes each step's MLflow run the active one.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, NamedTuple

import pandas as pd
from feature_repo import FEATURE_COLUMNS, FEATURES

from stackyard import get_step_context, pipeline, step
from stackyard.materializers import BaseMaterializer
from stackyard.steps import deploy_model


class SklearnModelMaterializer(BaseMaterializer):
    """Stores a fitted scikit-learn estimator with joblib; the model server loads it with this class too."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ("sklearn.base.BaseEstimator",)

    def save(self, data: Any) -> None:
        import joblib

        with self.open("model.joblib", "wb") as f:
            joblib.dump(data, f)

    def load(self, data_type: type | None) -> Any:
        import joblib

        with self.open("model.joblib", "rb") as f:
            return joblib.load(f)


class Split(NamedTuple):
    train_set: pd.DataFrame
    test_set: pd.DataFrame


@step
def training_set(labels_path: str) -> pd.DataFrame:
    """Each labelled customer with the feature values valid when the label was observed (feature store)."""
    labels = pd.read_parquet(labels_path)
    frame = get_step_context().stack.feature_store.get_historical_features(labels, FEATURES)
    return frame.sort_values("customer_id").reset_index(drop=True)


@step
def split(frame: pd.DataFrame, test_size: float = 0.25) -> Split:
    """A stratified train/test split."""
    from sklearn.model_selection import train_test_split

    train_set, test_set = train_test_split(frame, test_size=test_size, random_state=0, stratify=frame["churned"])
    return Split(train_set, test_set)


@step(step_operator="isolated", materializers=SklearnModelMaterializer)
def train(train_set: pd.DataFrame, n_estimators: int = 50, max_depth: int = 4) -> Any:
    """A random forest, fitted in a process of its own (step operator); parameters logged to MLflow."""
    import mlflow
    from sklearn.ensemble import RandomForestClassifier

    print(f"training in process {os.getpid()} (the pipeline runs in {os.getppid()})")
    mlflow.log_params({"n_estimators": n_estimators, "max_depth": max_depth, "rows": len(train_set)})
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)
    return model.fit(train_set[FEATURE_COLUMNS].to_numpy(), train_set["churned"].to_numpy())


@step
def evaluate(model: Any, test_set: pd.DataFrame) -> float:
    """Accuracy on the held-out customers, logged to MLflow."""
    import mlflow
    from sklearn.metrics import accuracy_score

    accuracy = float(accuracy_score(test_set["churned"], model.predict(test_set[FEATURE_COLUMNS].to_numpy())))
    mlflow.log_metric("accuracy", accuracy)
    return accuracy


@step(enable_cache=False)  # a message is a side effect: send it on every run
def notify(accuracy: float, deployment: dict) -> bool:
    """Tell the team through the stack's alerter (Apprise) how training went."""
    if deployment["deployed"]:
        outcome = f"deployed at {deployment['prediction_url']}"
    else:
        outcome = f"not deployed: {deployment['reason']}"
    context = get_step_context()
    return bool(context.stack.alerter.post(f"{context.run_name}: churn model accuracy {accuracy:.3f}, {outcome}"))


@pipeline
def churn_pipeline(labels_path: str = "", threshold: float = 0.8, n_estimators: int = 50):
    frame = training_set(labels_path=labels_path)
    parts = split(frame)
    model = train(parts.train_set, n_estimators=n_estimators)
    accuracy = evaluate(model, parts.test_set)
    deployment = deploy_model(model=model, metric=accuracy, threshold=threshold, model_name="churn")
    notify(accuracy, deployment)
