"""A flavor package's whole life: scaffold, build a wheel, install, use, uninstall — as a user would.

Everything runs as real commands: the lifecycle in a brand-new virtual
environment with Stackyard installed from wheels built from this checkout, the
scaffold check in one layered on this environment (it needs pytest and the
build tools).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.enums import StackComponentType

pytestmark = pytest.mark.slow

PIPELINE = '''
from pathlib import Path

from stackyard import pipeline, step

MARKER = Path(__file__).with_name("steps-ran.txt")


@step
def numbers(count: int = 3) -> list:
    with MARKER.open("a") as handle:
        handle.write("numbers\\n")
    return list(range(count))


@step
def total(values: list) -> int:
    return sum(values)


@pipeline
def sum_pipeline(count: int = 3):
    total(numbers(count=count))
'''


class Shell:
    """Runs ``stackyard`` and pip in the throwaway environment, from a project folder."""

    def __init__(self, python: Path, cwd: Path, config: Path) -> None:
        self.python = python
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_")}
        self.env.update(STACKYARD_CONFIG_PATH=str(config), PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1")
        self.env["COLUMNS"] = "1000"  # tables as wide as their content: piped ones would fit 80 columns

    def run(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), *args], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == expect, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def stackyard(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "stackyard_cli", *args, expect=expect)


REPOSITORY = Path(__file__).resolve().parents[2]


def fresh_venv_with_stackyard(root: Path) -> Path:
    """A brand-new virtual environment with Stackyard installed from wheels built here.

    Nothing of the development install leaks in, so this also checks what the
    wheels ship (entry points, the pytest plugin, py.typed); their
    dependencies come from the package index.
    """
    wheels = root / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels),
         *(str(REPOSITORY / part) for part in ("core", "cli", "plugins-builtin-local"))],
        check=True,
    )
    env_dir = root / "fresh-venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *map(str, sorted(wheels.glob("*.whl")))],
        check=True,
    )
    return python


def test_scaffold_build_install_use_and_uninstall_a_flavor_package(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    sh = Shell(fresh_venv_with_stackyard(tmp_path), project, tmp_path / "config")
    # the fresh environment has no build tools: the author builds the wheel with this one

    # scaffold and build a wheel, as an author would before publishing
    sh.stackyard("plugin", "new", "shiny", "--type", "artifact-store", "--dir", str(tmp_path / "src"))
    package = tmp_path / "src" / "stackyard-shiny"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(package)],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("stackyard_shiny-0.1.0-*.whl")

    # install it the way a user would, and see the new flavor
    installed = sh.stackyard("plugin", "install", str(wheel))
    assert "New flavors" in installed.stdout and "shiny" in installed.stdout and "stackyard-shiny 0.1.0" in installed.stdout
    listed = json.loads(sh.stackyard("artifact-store", "flavor", "list", "--output", "json").stdout)
    assert {"name": "shiny", "package": "stackyard-shiny", "version": "0.1.0"}.items() <= next(
        f for f in listed if f["name"] == "shiny"
    ).items()

    # register a component, build a stack with it, run a pipeline on it
    store_path = tmp_path / "shiny-artifacts"
    sh.stackyard("init")
    sh.stackyard("artifact-store", "register", "shiny-store", "--flavor=shiny", f"--path={store_path}", "--chunk_size=4096")
    sh.stackyard("stack", "register", "shiny-stack", "-o", "default", "-a", "shiny-store", "-m", "default", "--set")
    (project / "pipe.py").write_text(textwrap.dedent(PIPELINE))
    sh.stackyard("pipeline", "run", "pipe.py:sum_pipeline", "--param", "count=5")
    assert (project / "steps-ran.txt").read_text() == "numbers\n"
    assert any(store_path.rglob("*")), "the pipeline wrote its artifacts through the new flavor"
    described = sh.stackyard("pipeline", "run-describe", json.loads(
        sh.stackyard("pipeline", "runs", "sum_pipeline", "--output", "json").stdout)[-1]["name"], "--output", "json").stdout
    assert str(store_path) in described  # as data: a piped table fits 80 columns and wraps long paths

    # uninstalling is refused while the component uses the flavor, then forced
    refused = sh.stackyard("plugin", "uninstall", "stackyard-shiny", expect=1)
    assert "provides flavors used by profile 'default': artifact store 'shiny-store'" in refused.stderr
    assert "Traceback" not in refused.stderr
    sh.stackyard("plugin", "uninstall", "stackyard-shiny", "--force")
    assert "shiny" not in sh.stackyard("artifact-store", "flavor", "list").stdout

    # the component keeps its record: listed as missing, described, and a run fails before any step
    listing = sh.stackyard("artifact-store", "list").stdout
    assert "flavor missing (install stackyard-shiny)" in listing
    described = json.loads(sh.stackyard("artifact-store", "describe", "shiny-store", "--output", "json").stdout)
    assert described["config"] == {"path": str(store_path), "chunk_size": 4096}
    failed = sh.stackyard("pipeline", "run", "pipe.py:sum_pipeline", expect=1)
    assert "flavor missing (install stackyard-shiny)" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert (project / "steps-ran.txt").read_text() == "numbers\n", "no step ran on the broken stack"

    # and it can be cleaned up
    sh.stackyard("stack", "set", "default")
    sh.stackyard("stack", "delete", "shiny-stack", "--yes")
    sh.stackyard("artifact-store", "delete", "shiny-store")
    assert "shiny-store" not in sh.stackyard("artifact-store", "list").stdout


def test_every_scaffolded_package_passes_its_own_tests_as_generated(
    tmp_path: Path, layered_venv: Callable[[], Path]
) -> None:
    sh = Shell(layered_venv(), tmp_path, tmp_path / "config")
    packages = []
    for component_type in StackComponentType:
        sh.stackyard("plugin", "new", f"gen-{component_type.cli_name}", "--type", component_type.cli_name, "--dir", str(tmp_path))
        packages.append(tmp_path / f"stackyard-gen-{component_type.cli_name}")
    editable = [arg for path in packages for arg in ("-e", str(path))]
    sh.run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", *editable)
    for package in packages:
        result = subprocess.run(
            [str(sh.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=package, env=sh.env, capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, f"{package.name}:\n{result.stdout[-3000:]}"
        assert " passed" in result.stdout.splitlines()[-1]


def test_scaffold_refuses_bad_names_and_existing_folders(tmp_path: Path) -> None:
    sh = Shell(Path(sys.executable), tmp_path, tmp_path / "config")
    bad = sh.stackyard("plugin", "new", "Not Valid", "--type", "alerter", expect=1)
    assert "cannot name a package" in bad.stderr
    sh.stackyard("plugin", "new", "dup", "--type", "alerter")
    again = sh.stackyard("plugin", "new", "dup", "--type", "alerter", expect=1)
    assert "already exists and is not empty" in again.stderr
    wrong = sh.stackyard("plugin", "new", "x", "--type", "nothing", expect=2)
    assert "nothing" in wrong.stderr


def test_plugin_install_of_built_wheels_of_real_flavor_packages(tmp_path: Path) -> None:
    """`stackyard plugin install` of stackyard-apprise and stackyard-dask wheels into a fresh venv, as a user would."""
    sh = Shell(fresh_venv_with_stackyard(tmp_path), tmp_path, tmp_path / "config")
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist),
         str(REPOSITORY / "plugins" / "stackyard-apprise"), str(REPOSITORY / "plugins" / "stackyard-dask")],
        check=True,
    )
    (apprise_wheel,) = dist.glob("stackyard_apprise-0.1.0-*.whl")
    (dask_wheel,) = dist.glob("stackyard_dask-0.1.0-*.whl")

    for wheel, package, flavor in ((apprise_wheel, "stackyard-apprise", "apprise"), (dask_wheel, "stackyard-dask", "dask")):
        installed = sh.stackyard("plugin", "install", str(wheel))
        assert "New flavors" in installed.stdout and flavor in installed.stdout, installed.stdout
        assert f"{package} 0.1.0" in installed.stdout

    plugins = {p["package"]: p for p in json.loads(sh.stackyard("plugin", "list", "--output", "json").stdout)}
    assert set(plugins) == {"stackyard-local", "stackyard-apprise", "stackyard-dask"}
    assert plugins["stackyard-apprise"]["status"] == plugins["stackyard-dask"]["status"] == "loaded"
    flavors = {(f["type"], f["name"]) for f in json.loads(sh.stackyard("flavor", "list", "--output", "json").stdout)}
    assert {("alerter", "apprise"), ("orchestrator", "dask"), ("step_operator", "dask")} <= flavors

    # the installed dependencies work: a Dask orchestrator runs a pipeline on a cluster it starts
    sh.stackyard("orchestrator", "register", "cluster", "--flavor=dask", "--n_workers=1", "--processes=false")
    sh.stackyard("stack", "register", "on-dask", "-o", "cluster", "-a", "default", "-m", "default", "--set")
    (tmp_path / "pipe.py").write_text(textwrap.dedent(PIPELINE))
    sh.stackyard("pipeline", "run", "pipe.py:sum_pipeline", "--param", "count=4")
    runs = json.loads(sh.stackyard("pipeline", "runs", "sum_pipeline", "--output", "json").stdout)
    assert [run["status"] for run in runs] == ["completed"]
