"""A flavor package built from files, pip-installed into a throwaway virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "stackyard-shout"
version = "0.4.2"
dependencies = ["stackyard-core"]

[project.entry-points."stackyard.plugins"]
shout = "stackyard_shout.plugin"

[tool.hatch.build.targets.wheel]
packages = ["stackyard_shout"]
"""

PLUGIN = '''
from stackyard import hookimpl


@hookimpl
def stackyard_alerter_flavors():
    from stackyard_shout.alerter import ShoutAlerter

    return [ShoutAlerter]
'''

ALERTER = '''
from typing import ClassVar

from stackyard.alerters import BaseAlerter


class ShoutAlerter(BaseAlerter):
    """Posts alerts in capitals to a file."""

    FLAVOR: ClassVar[str] = "shout"
    target: str
    volume: int = 11

    def post(self, message: str) -> bool:
        with open(self.target, "a") as handle:
            handle.write(message.upper() + "\\n")
        return True

    def ask(self, question: str) -> bool:
        return False
'''

CHECK = """
import json, sys
from stackyard import Repository
repo = Repository()
result = {"flavors": [f.name for f in repo.get_flavors("alerter")]}
if sys.argv[1] == "register":
    flavor = repo.get_flavor("alerter", "shout")
    result["package"] = [flavor.package, flavor.version]
    repo.register_stack_component(flavor.create("loud", {"target": sys.argv[2], "volume": "12"}))
    result["posted"] = repo.load_stack_component("alerter", "loud").post("deployed")
elif sys.argv[1] == "after":
    record = repo.get_component_record("alerter", "loud")
    result["record"] = [record.flavor, record.config, record.package]
    try:
        repo.load_stack_component("alerter", "loud")
    except Exception as exc:
        result["error"] = str(exc)
    repo.deregister_stack_component("alerter", "loud")
    result["left"] = [c.name for c in repo.get_stack_components("alerter")]
print(json.dumps(result))
"""


def write_package(root: Path) -> Path:
    package = root / "stackyard-shout"
    (package / "stackyard_shout").mkdir(parents=True)
    (package / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (package / "stackyard_shout" / "__init__.py").write_text("")
    (package / "stackyard_shout" / "plugin.py").write_text(textwrap.dedent(PLUGIN))
    (package / "stackyard_shout" / "alerter.py").write_text(textwrap.dedent(ALERTER))
    return package


def run(python: Path, *args: str) -> dict:
    out = subprocess.run([str(python), "-c", CHECK, *args], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_plugin_package_installed_into_a_venv(tmp_path: Path, layered_venv: Callable[[], Path]) -> None:
    package = write_package(tmp_path)
    python = layered_venv()
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # the alerter flavors of the flavor packages this environment has (e.g. stackyard-apprise), before "shout"
    installed = run(python, "list")["flavors"]
    assert "shout" not in installed
    subprocess.run([*pip, "install", "--no-build-isolation", "--no-deps", str(package)], check=True)

    target = tmp_path / "alerts.txt"
    registered = run(python, "register", str(target))
    assert registered == {"flavors": sorted([*installed, "shout"]), "package": ["stackyard-shout", "0.4.2"], "posted": True}
    assert target.read_text() == "DEPLOYED\n"

    not_seen_here = subprocess.run(
        [sys.executable, "-c", "from stackyard import Repository; print([f.name for f in Repository().get_flavors('alerter')])"],
        capture_output=True,
        text=True,
    )
    assert not_seen_here.stdout.strip() == repr(installed), "the plugin is installed only in the throwaway venv"

    subprocess.run([*pip, "uninstall", "--yes", "stackyard-shout"], check=True)
    after = run(python, "after")
    assert after["flavors"] == installed
    assert after["record"] == ["shout", {"post_on_failure": False, "target": str(target), "volume": 12}, "stackyard-shout"]
    assert "flavor missing (install stackyard-shout)" in after["error"]
    assert after["left"] == []
