"""The local model deployer passes the model deployer conformance suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.testing import ModelDeployerConformance
from stackyard_serve.model_deployer import LocalModelDeployer


class TestLocalModelDeployer(ModelDeployerConformance):
    @pytest.fixture
    def model_deployer(self, tmp_path: Path) -> LocalModelDeployer:
        return LocalModelDeployer(name="conformance-serve", root=str(tmp_path / "servers"))
