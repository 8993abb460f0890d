"""The S3 artifact store flavor for Stackyard (Amazon S3 and any S3-compatible service)."""

__version__ = "0.1.0"
