"""Model deployers: serve models online."""

from stackyard.model_deployers.base_model_deployer import (
    BaseModelDeployer,
    ModelDeploymentError,
    ModelServerNotFoundError,
)

__all__ = ["BaseModelDeployer", "ModelDeploymentError", "ModelServerNotFoundError"]
