"""Fixtures of the stackyard-serve tests: a deployer per test, and a check that no server outlives the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard_serve.model_deployer import LocalModelDeployer


def server_processes(marker: str) -> list[int]:
    """Pids of model server processes whose command line mentions ``marker`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if "stackyard_serve.server" in command and marker in command and state != b"Z":
            found.append(int(entry))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leaked_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fails the session if a model server started by these tests still runs at its end."""
    base = str(tmp_path_factory.getbasetemp())
    yield
    if os.path.isdir("/proc"):
        leaked = server_processes(base)
        for pid in leaked:
            os.kill(pid, 9)
        assert leaked == [], f"model server processes left running: {leaked}"


@pytest.fixture
def deployer(tmp_path: Path) -> Iterator[LocalModelDeployer]:
    """A local model deployer keeping its records in the test's folder; its servers are deleted afterwards."""
    component = LocalModelDeployer(name="local-serve", root=str(tmp_path / "servers"))
    yield component
    for server in component.find_model_server():
        component.delete_model_server(server["id"])
