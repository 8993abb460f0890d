"""The MLflow experiment tracker flavor for Stackyard."""

__version__ = "0.1.0"
