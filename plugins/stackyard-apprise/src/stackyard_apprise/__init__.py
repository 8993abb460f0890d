"""The Apprise alerter flavor for Stackyard."""

__version__ = "0.1.0"
