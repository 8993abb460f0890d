"""Shared fixtures: every test gets its own global config dir and working directory."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
import venv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stackyard.plugins import reset_registry
from stackyard.testing.fixtures import STACKYARD_ENV_VARS as ENV_VARS

pytest_plugins = ("pytester",)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh global config dir and an empty working directory outside any repository."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("STACKYARD_CONFIG_PATH", str(config))
    monkeypatch.chdir(work)
    yield work
    reset_registry()


@pytest.fixture
def config_dir(isolated: Path) -> Path:
    """The global config directory of this test."""
    return isolated.parent / "config"


@pytest.fixture
def make_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Install a plugin distribution into this process: a module plus its dist-info.

    ``make_plugin("acme", "stackyard_acme", code)`` writes the module and an
    ``entry_points.txt`` naming it in the ``stackyard.plugins`` group, puts the
    folder on ``sys.path`` and forgets the discovered plugins, so the next
    lookup sees the new distribution exactly as if it had been pip-installed.
    """
    site = tmp_path / "site-packages"
    site.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(site))
    added: list[str] = []

    def make(dist: str, module: str, code: str, entry_point: str | None = None, version: str = "1.0") -> Path:
        (site / f"{module}.py").write_text(textwrap.dedent(code))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(
            f"[stackyard.plugins]\n{entry_point or dist} = {module}\n"
        )
        added.append(module)
        reset_registry()
        return site

    yield make
    for module in added:
        sys.modules.pop(module, None)
    reset_registry()


@pytest.fixture
def layered_venv(tmp_path: Path) -> Callable[[], Path]:
    """Make a throwaway virtual environment that also sees this one's packages; returns its python.

    What a test installs into it (with its own pip) stays there, while
    Stackyard and the build tools come from the environment running the tests.
    """

    def make() -> Path:
        env_dir = tmp_path / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        python = env_dir / "bin" / "python"
        site = subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
        outer = sysconfig.get_paths()["purelib"]
        Path(site, "outer_env.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
        return python

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that collected no test is a failure, not a pass."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
