"""The fsspec artifact store flavor for Stackyard."""

__version__ = "0.1.0"
