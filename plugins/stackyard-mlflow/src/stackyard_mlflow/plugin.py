"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_experiment_tracker_flavors() -> list[type]:
    from stackyard_mlflow.experiment_tracker import MLflowExperimentTracker

    return [MLflowExperimentTracker]
