"""The quickstart pipeline: recognize handwritten digits with scikit-learn, every step recorded.

The data set is scikit-learn's bundled copy of the UCI handwritten digits
(1,797 images of 8x8 pixels, digits 0-9), so nothing is downloaded.

Run it with ``python examples/quickstart/run.py``, or from the CLI::

    stackyard pipeline run examples/quickstart/pipeline.py:training_pipeline --param C=0.5
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from stackyard import pipeline, step
from stackyard.materializers import BaseMaterializer


class Dataset(NamedTuple):
    features: np.ndarray
    target: np.ndarray


class Split(NamedTuple):
    train_features: np.ndarray
    test_features: np.ndarray
    train_target: np.ndarray
    test_target: np.ndarray


class SklearnModelMaterializer(BaseMaterializer):
    """Stores a fitted scikit-learn estimator with joblib (scikit-learn's own way to persist models)."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ("sklearn.base.BaseEstimator",)

    def save(self, data: Any) -> None:
        import joblib
        import sklearn

        self.metadata["sklearn_version"] = sklearn.__version__
        with self.open("model.joblib", "wb") as f:
            joblib.dump(data, f)

    def load(self, data_type: type | None) -> Any:
        import joblib

        with self.open("model.joblib", "rb") as f:
            return joblib.load(f)


@step
def load_data() -> Dataset:
    """The digits data set shipped inside scikit-learn."""
    from sklearn.datasets import load_digits

    features, target = load_digits(return_X_y=True)
    return Dataset(features, target)


@step
def split(features: np.ndarray, target: np.ndarray, test_size: float = 0.25, seed: int = 42) -> Split:
    """A stratified train/test split."""
    from sklearn.model_selection import train_test_split

    parts = train_test_split(features, target, test_size=test_size, random_state=seed, stratify=target)
    return Split(*parts)


@step(materializers=SklearnModelMaterializer)
def train(train_features: np.ndarray, train_target: np.ndarray, C: float = 1.0) -> Any:
    """Standardize the pixels, then fit a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
    return model.fit(train_features, train_target)


@step
def evaluate(model: Any, test_features: np.ndarray, test_target: np.ndarray) -> dict:
    """Accuracy and macro F1 on the held-out images."""
    from sklearn.metrics import accuracy_score, f1_score

    predicted = model.predict(test_features)
    return {
        "accuracy": float(accuracy_score(test_target, predicted)),
        "f1_macro": float(f1_score(test_target, predicted, average="macro")),
        "test_samples": int(len(test_target)),
    }


@pipeline
def training_pipeline(test_size: float = 0.25, C: float = 1.0, seed: int = 42):
    data = load_data()
    parts = split(data.features, data.target, test_size=test_size, seed=seed)
    model = train(parts.train_features, parts.train_target, C=C)
    evaluate(model, parts.test_features, parts.test_target)
