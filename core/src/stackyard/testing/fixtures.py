"""The pytest plugin of ``stackyard-core`` (entry point ``pytest11``): fixtures for flavor authors.

Kept cheap to import, since pytest loads it in every environment where
Stackyard is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from stackyard.repository import Repository

STACKYARD_ENV_VARS = (
    "STACKYARD_CONFIG_PATH",
    "STACKYARD_REPOSITORY_PATH",
    "STACKYARD_PROFILE",
    "STACKYARD_STACK",
    "STACKYARD_DISABLE_PLUGINS",
    "STACKYARD_DEBUG",
)


@pytest.fixture
def stackyard_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated global config directory; the ``STACKYARD_*`` variables are cleared."""
    for name in STACKYARD_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path_factory.mktemp("stackyard-config")
    monkeypatch.setenv("STACKYARD_CONFIG_PATH", str(path))
    return path


@pytest.fixture
def stackyard_repository(
    stackyard_config: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Repository:
    """A repository initialized in a temporary project folder, which is the working directory."""
    from stackyard.repository import Repository

    project = tmp_path_factory.mktemp("stackyard-project")
    monkeypatch.chdir(project)
    return Repository.initialize(project)
