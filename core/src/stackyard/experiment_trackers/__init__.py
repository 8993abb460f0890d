"""Experiment trackers: log parameters and metrics of runs."""

from stackyard.experiment_trackers.base_experiment_tracker import BaseExperimentTracker

__all__ = ["BaseExperimentTracker"]
