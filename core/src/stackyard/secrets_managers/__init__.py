"""Secrets managers: a central place for credentials."""

from stackyard.secrets_managers.base_secrets_manager import BaseSecretsManager

__all__ = ["BaseSecretsManager"]
