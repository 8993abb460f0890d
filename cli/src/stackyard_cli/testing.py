"""The pytest plugin of ``stackyard-cli`` (entry point ``pytest11``): the ``stackyard_cli`` fixture.

It builds on ``stackyard_config`` from the core's plugin, so every command
runs against an isolated config directory. Kept cheap to import, since pytest
loads it in every environment where the CLI is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def stackyard_cli(stackyard_config: Path) -> Iterator[Callable[..., Any]]:
    """Run ``stackyard`` commands in-process; returns click's ``Result`` (exit_code, output)."""
    from click.testing import CliRunner

    from stackyard_cli.main import cli

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    yield invoke
